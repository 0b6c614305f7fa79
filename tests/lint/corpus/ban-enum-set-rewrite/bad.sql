-- lint: dialect=mysql
ALTER TABLE orders MODIFY COLUMN status ENUM('new', 'paid', 'refunded', 'shipped') NOT NULL;
