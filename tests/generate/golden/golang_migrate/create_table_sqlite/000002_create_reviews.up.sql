CREATE TABLE reviews (
    id INTEGER NOT NULL,
    book_id INTEGER NOT NULL,
    rating SMALLINT NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT fk_reviews_book_id FOREIGN KEY (book_id) REFERENCES books (id) ON DELETE CASCADE,
    CONSTRAINT ck_reviews_rating CHECK (rating > 0)
);
