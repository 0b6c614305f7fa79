CREATE TABLE invoices (id bigint PRIMARY KEY, reference text CHECK (char_length(reference) <= 40));
