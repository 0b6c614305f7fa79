CREATE TABLE plans (
    id             SERIAL PRIMARY KEY,
    code           VARCHAR(50)   NOT NULL UNIQUE,
    name           VARCHAR(100)  NOT NULL,
    monthly_price  NUMERIC(10,2) NOT NULL CHECK (monthly_price >= 0),
    active         BOOLEAN       NOT NULL DEFAULT TRUE
);

INSERT INTO plans (code, name, monthly_price) VALUES
    ('starter', 'Starter', 9.00),
    ('team', 'Team', 29.00),
    ('business', 'Business', 99.00);
