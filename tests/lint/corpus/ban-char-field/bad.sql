CREATE TABLE invoices (id bigint PRIMARY KEY, currency char(3));
