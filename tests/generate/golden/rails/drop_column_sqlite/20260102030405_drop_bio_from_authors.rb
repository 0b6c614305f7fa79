class DropBioFromAuthors < ActiveRecord::Migration[7.1]
  def change
    remove_column :authors, :bio, :text
  end
end
