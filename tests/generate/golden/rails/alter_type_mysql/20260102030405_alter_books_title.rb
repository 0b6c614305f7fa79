class AlterBooksTitle < ActiveRecord::Migration[7.1]
  def up
    change_column :books, :title, :string, limit: 300, null: false
  end

  def down
    change_column :books, :title, :string, limit: 200, null: false
  end
end
