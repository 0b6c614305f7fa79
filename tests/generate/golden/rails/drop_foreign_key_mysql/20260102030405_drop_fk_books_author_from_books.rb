class DropFkBooksAuthorFromBooks < ActiveRecord::Migration[7.1]
  def up
    # InnoDB keeps an index for a foreign key; remove_index / remove_foreign_key ignore it
    execute "ALTER TABLE books DROP FOREIGN KEY fk_books_author"
    # the index InnoDB created for the foreign key stays otherwise
    execute "ALTER TABLE books DROP INDEX fk_books_author"
  end

  def down
    add_foreign_key :books, :authors, column: :author_id, name: "fk_books_author"
  end
end
