CREATE TABLE orders (id bigint PRIMARY KEY, status ENUM('new', 'paid', 'shipped') NOT NULL);
