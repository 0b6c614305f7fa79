class AddSubtitleToBooks < ActiveRecord::Migration[7.1]
  def change
    add_column :books, :subtitle, :string, limit: 200, null: false, default: ""
  end
end
