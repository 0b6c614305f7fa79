UPDATE orders SET currency = 'EUR';
