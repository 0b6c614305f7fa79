-- lint: dialect=mysql stats=orders:25000000:12884901888
ALTER TABLE orders ADD COLUMN note text, ALGORITHM=INSTANT;
