from decimal import Decimal

from django.test import TestCase

from .models import Category, Product


class ProductTests(TestCase):
    def test_products_of_a_category(self):
        books = Category.objects.create(name="Books", slug="books")
        Product.objects.create(category=books, name="SICP", price=Decimal("45.00"), sku="B-1")
        self.assertEqual([p.sku for p in books.products.all()], ["B-1"])
        self.assertTrue(books.products.get().is_active)
