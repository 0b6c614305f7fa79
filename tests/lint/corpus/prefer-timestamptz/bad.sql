CREATE TABLE invoices (id bigint PRIMARY KEY, issued_at timestamp);
