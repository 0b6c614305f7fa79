DROP TABLE credit_notes;
