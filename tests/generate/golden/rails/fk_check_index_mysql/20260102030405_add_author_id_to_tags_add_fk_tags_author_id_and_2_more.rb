class AddAuthorIdToTagsAddFkTagsAuthorIdAnd2More < ActiveRecord::Migration[7.1]
  def up
    add_column :tags, :author_id, :integer
    add_foreign_key :tags, :authors, column: :author_id, name: "fk_tags_author_id", on_delete: :nullify
    add_check_constraint :books, "price < 10000", name: "ck_books_price_2"
    add_index :tags, :label, name: "ix_tags_label", unique: true
  end

  def down
    remove_index :tags, name: "ix_tags_label"
    remove_check_constraint :books, name: "ck_books_price_2"

    # InnoDB keeps an index for a foreign key; remove_index / remove_foreign_key ignore it
    execute "ALTER TABLE tags DROP FOREIGN KEY fk_tags_author_id"
    # the index InnoDB created for the foreign key stays otherwise
    execute "ALTER TABLE tags DROP INDEX fk_tags_author_id"

    remove_column :tags, :author_id, :integer
  end
end
