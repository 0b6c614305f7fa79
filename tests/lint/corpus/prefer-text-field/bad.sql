CREATE TABLE invoices (id bigint PRIMARY KEY, reference varchar(40));
