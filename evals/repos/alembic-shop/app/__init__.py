"""Shop API: customers, a product catalog, orders and reviews."""
