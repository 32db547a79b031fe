"""Data for the staff-page tests (test client and browser), built through the real actions."""

from django.contrib.auth.models import Group, Permission, User

from kesheng.commerce.actions import record_orders
from kesheng.customers.actions import CustomerRecord, set_consent, upsert_customer
from kesheng.tracking.actions import record_events

STAFF_PASSWORD = "a-long-test-password-42"


def create_staff_user(username: str = "agent.li", *, role: str | None = "agent") -> User:
    """A staff member in one of the role groups (their permissions come from the migration)."""
    user = User.objects.create_user(username=username, password=STAFF_PASSWORD, is_staff=True)
    if role is not None:
        user.groups.add(Group.objects.get(name=role))
    return user


def create_user_with_permissions(username: str, *codenames: str) -> User:
    user = User.objects.create_user(username=username, password=STAFF_PASSWORD)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


def build_customer_with_history(customer_id: str = "C001", *, events: int = 3, orders: int = 2):
    """王芳 in 上海, tagged, with consent, ``orders`` orders (two lines each) and ``events``
    events at store and web touchpoints in early 2025."""
    customer = upsert_customer(
        record=CustomerRecord(
            customer_id=customer_id,
            name="王芳",
            email=f"{customer_id.lower()}@example.com",
            wechat_openid=f"o-{customer_id.lower()}-wx",
            gender="female",
            city="上海",
            occupation="教师",
            tags=["vip", "会员"],
        )
    ).customer
    set_consent(
        customer=customer, channel="email", purpose="surveys", is_granted=True, source="web"
    )
    set_consent(
        customer=customer, channel="sms", purpose="marketing", is_granted=False, source="store"
    )
    record_orders(
        items=[
            {
                "order_id": f"{customer_id}-O{number}",
                "customer_id": customer_id,
                "ordered_at": f"2025-02-{number + 1:02d}T10:30:00+08:00",
                "amount": "128.00",
                "store": "sh-nanjing-road",
                "lines": [
                    {"sku": "TEA-01", "quantity": 2, "unit_price": "39.00"},
                    {"sku": "CUP-07", "quantity": 1, "unit_price": "50.00"},
                ],
            }
            for number in range(orders)
        ]
    )
    touchpoints = ["store_checkout", "web_browse", "wechat_service_chat"]
    record_events(
        items=[
            {
                "event_id": f"{customer_id}-E{number}",
                "customer_id": customer_id,
                "type": "page_view" if number % 2 else "visit",
                "touchpoint": touchpoints[number % len(touchpoints)],
                "occurred_at": f"2025-01-{number % 28 + 1:02d}T09:{number % 60:02d}:00+08:00",
                "properties": {"page": f"/p/{number}"},
            }
            for number in range(events)
        ]
    )
    return customer
