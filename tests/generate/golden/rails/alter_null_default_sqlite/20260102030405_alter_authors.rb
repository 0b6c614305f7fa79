class AlterAuthors < ActiveRecord::Migration[7.1]
  def change
    change_column_null :authors, :email, false
    change_column_default :authors, :email, from: nil, to: "none"
  end
end
