-- lint: dialect=mysql stats=orders:25000000:12884901888
ALTER TABLE orders ADD INDEX orders_status_idx (status), ALGORITHM=INPLACE, LOCK=NONE;
