UPDATE orders SET status = 'shipped', shipped_at = now() WHERE id = 1;
