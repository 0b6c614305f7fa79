UPDATE orders SET status = 'paid', status = 'shipped' WHERE id = 1;
