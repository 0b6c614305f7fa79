from sqlalchemy import select, text

from app.models import Customer, Order


def _customer(session, email="ada@example.com", phone="+44 20 7946 0000"):
    customer = Customer(email=email, full_name="Ada Lovelace", phone=phone)
    session.add(customer)
    session.flush()
    return customer


def test_customer_phone_round_trip(session):
    _customer(session)
    session.expire_all()
    found = session.scalars(select(Customer).where(Customer.email == "ada@example.com")).one()
    assert found.phone == "+44 20 7946 0000"


def test_customers_found_by_phone_in_sql(session):
    _customer(session, "bob@example.com", "+1 555 0100")
    rows = session.execute(
        text("SELECT email FROM customers WHERE phone = :phone"), {"phone": "+1 555 0100"}
    ).all()
    assert [r.email for r in rows] == ["bob@example.com"]


def test_new_order_is_pending(session):
    customer = _customer(session)
    order = Order(customer_id=customer.id)
    session.add(order)
    session.flush()
    session.refresh(order)
    assert order.status == "pending"
