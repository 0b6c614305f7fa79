CREATE TABLE invoices (id bigint PRIMARY KEY, currency text);
