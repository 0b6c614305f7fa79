from decimal import Decimal

from django.contrib.auth import get_user_model
from django.test import TestCase

from catalog.models import Category, Product

from .models import Order, OrderItem


class OrderTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.customer = get_user_model().objects.create(username="ada")
        category = Category.objects.create(name="Books", slug="books")
        cls.product = Product.objects.create(category=category, name="SICP", price=Decimal("45.00"))

    def test_new_order_is_pending_with_an_empty_address(self):
        order = Order.objects.create(customer=self.customer)
        order.refresh_from_db()
        self.assertEqual(order.status, Order.Status.PENDING)
        self.assertEqual(order.shipping_address, "")

    def test_shipping_address_is_stored(self):
        order = Order.objects.create(customer=self.customer, shipping_address="1 Main St")
        self.assertEqual(Order.objects.get(pk=order.pk).shipping_address, "1 Main St")

    def test_orders_are_found_by_shipping_address(self):
        Order.objects.create(customer=self.customer, shipping_address="1 Main St")
        Order.objects.create(customer=self.customer, shipping_address="2 High St")
        found = Order.objects.filter(shipping_address__startswith="2").values_list(
            "shipping_address", flat=True
        )
        self.assertEqual(list(found), ["2 High St"])

    def test_items_keep_their_unit_price(self):
        order = Order.objects.create(customer=self.customer)
        OrderItem.objects.create(order=order, product=self.product, quantity=2, unit_price="45.00")
        self.assertEqual(order.items.get().unit_price, Decimal("45.00"))
