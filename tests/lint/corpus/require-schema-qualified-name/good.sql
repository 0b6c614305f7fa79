CREATE TABLE billing.invoices (id bigint PRIMARY KEY);
