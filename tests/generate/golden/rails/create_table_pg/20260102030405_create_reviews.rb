class CreateReviews < ActiveRecord::Migration[7.1]
  def up
    create_table :reviews do |t|
      t.integer :book_id, null: false
      t.string :reviewer, limit: 100, null: false
      t.integer :rating, limit: 2, null: false
      t.text :body
      t.datetime :created_at, default: -> { "now()" }
      t.foreign_key :books, column: :book_id, name: "fk_reviews_book_id", on_delete: :cascade
      t.check_constraint "rating > 0", name: "ck_reviews_rating"
    end
    # Active Record before 7.1 has no unique constraints, only indexes
    execute "ALTER TABLE reviews ADD CONSTRAINT uq_reviews_book_id_reviewer UNIQUE (book_id, reviewer)"
  end

  def down
    drop_table :reviews
  end
end
