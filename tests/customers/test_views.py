import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kesheng.customers.actions import CustomerRecord, upsert_customer
from kesheng.customers.models import Customer
from tests.staff_fixtures import (
    build_customer_with_history,
    create_staff_user,
    create_user_with_permissions,
)


@pytest.fixture
def staff_client(client, db):
    client.force_login(create_staff_user())
    return client


def test_root_redirects_to_the_customer_list(staff_client):
    response = staff_client.get("/")
    assert response.status_code == 302
    assert response.url == "/customers/"


def test_customer_list_asks_an_anonymous_visitor_to_log_in(client, db):
    response = client.get("/customers/")
    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/customers/"


def test_customer_list_refuses_a_user_without_the_view_permission(client, db):
    client.force_login(create_user_with_permissions("intern"))
    assert client.get("/customers/").status_code == 403
    assert client.get("/customers/C001/").status_code == 403


def test_customer_list_shows_name_id_city_tags_and_order_totals(staff_client):
    build_customer_with_history("C001", orders=2)
    response = staff_client.get("/customers/")
    assert response.status_code == 200
    row = response.context["listing"].rows[0]
    assert row.customer.customer_id == "C001"
    assert row.cells == [2, "¥256.00"]
    html = response.content.decode()
    assert "王芳" in html
    assert "上海" in html
    assert '<a class="tag" href="?tag=vip">vip</a>' in html
    assert "¥256.00" in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=王", ["C002", "C001"]),
        ("q=c002", ["C002"]),
        ("q=li.lei%40example.com", ["C002"]),
        ("q=139%200013%209000", ["C002"]),
        ("q=o-wechat-1", ["C001"]),
        ("city=北京", ["C002"]),
        ("tag=vip", ["C001"]),
        ("gender=male", ["C002"]),
        ("gender=female&city=北京", []),
        ("q=nobody", []),
    ],
)
def test_customer_list_searches_and_filters(staff_client, query, expected):
    upsert_customer(
        record=CustomerRecord(
            customer_id="C001",
            name="王芳",
            wechat_openid="o-wechat-1",
            gender="female",
            city="上海",
            tags=["vip"],
        )
    )
    upsert_customer(
        record=CustomerRecord(
            customer_id="C002",
            name="王磊",
            email="Li.Lei@example.com",
            phone="13900139000",
            gender="male",
            city="北京",
        )
    )
    response = staff_client.get(f"/customers/?{query}")
    assert response.status_code == 200
    shown = [row.customer.customer_id for row in response.context["listing"].rows]
    assert shown == expected


def test_customer_list_ignores_an_unknown_gender_and_a_bad_page_number(staff_client):
    upsert_customer(record=CustomerRecord(customer_id="C001", gender="female"))
    response = staff_client.get("/customers/?gender=robot&page=abc")
    assert response.status_code == 200
    assert [row.customer.customer_id for row in response.context["listing"].rows] == ["C001"]


def test_customer_list_pages_by_25_keeping_the_filters_in_the_links(staff_client):
    for number in range(30):
        upsert_customer(record=CustomerRecord(customer_id=f"C{number:03d}", city="杭州"))
    first = staff_client.get("/customers/?city=杭州")
    assert len(first.context["listing"].rows) == 25
    assert 'href="?city=%E6%9D%AD%E5%B7%9E&amp;page=2"' in first.content.decode()
    second = staff_client.get("/customers/?city=杭州&page=2")
    assert [row.customer.customer_id for row in second.context["listing"].rows] == [
        "C004",
        "C003",
        "C002",
        "C001",
        "C000",
    ]


def _count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_customer_list_query_count_does_not_grow_with_rows(staff_client):
    build_customer_with_history("C001")
    few = _count_queries(staff_client, "/customers/")
    for number in range(2, 12):
        build_customer_with_history(f"C{number:03d}")
    many = _count_queries(staff_client, "/customers/")
    assert many == few


def test_customer_360_shows_profile_identities_consent_orders_and_timeline(staff_client):
    build_customer_with_history("C001", events=3, orders=2)
    response = staff_client.get("/customers/C001/")
    assert response.status_code == 200
    html = response.content.decode()
    for text in ["王芳", "教师", "c001@example.com", "o-c001-wx", "C001-O1", "TEA-01", "¥256.00"]:
        assert text in html
    profile = response.context["profile"]
    assert [panel.name for panel in profile.panels] == [
        "loyalty",
        "cases",
        "loyalty_referrals",
        "orders",
        "events",
        "scores",
        "recommendations",
    ]
    assert [(item.entry.kind, item.entry.title) for item in profile.timeline] == [
        ("order", "C001-O1"),
        ("order", "C001-O0"),
        ("event", "visit"),
        ("event", "page_view"),
        ("event", "visit"),
    ]
    newest_event = profile.timeline[2].display
    assert newest_event.channel == "微信"
    assert newest_event.touchpoint == "微信客服"
    assert newest_event.journey_stage == "使用与服务"
    # Stored in UTC, shown in Asia/Shanghai: the order placed 10:30 +08:00 reads 10:30.
    assert "2025-02-02 10:30" in html
    assert profile.older_cursor is None


def test_customer_360_pages_the_timeline_with_an_older_link(staff_client):
    build_customer_with_history("C001", events=40, orders=0)
    first = staff_client.get("/customers/C001/")
    assert len(first.context["profile"].timeline) == 30
    older_url = first.context["older_url"]
    assert older_url.startswith("?before=")
    second = staff_client.get(f"/customers/C001/{older_url}")
    assert second.status_code == 200
    first_ids = {item.entry.id for item in first.context["profile"].timeline}
    second_ids = {item.entry.id for item in second.context["profile"].timeline}
    assert len(second_ids) == 10
    assert first_ids.isdisjoint(second_ids)
    assert second.context["older_url"] is None


def test_customer_360_answers_400_for_a_malformed_cursor(staff_client):
    build_customer_with_history("C001")
    response = staff_client.get("/customers/C001/?before=yesterday")
    assert response.status_code == 400
    assert "不是有效的" in response.content.decode()


def test_customer_360_answers_404_for_an_unknown_customer(staff_client):
    response = staff_client.get("/customers/NOPE/")
    assert response.status_code == 404
    assert "NOPE" in response.content.decode()


def test_a_nul_character_in_the_url_finds_nothing_instead_of_failing(staff_client):
    # PostgreSQL refuses NUL in a query parameter; nothing stored contains it anyway.
    build_customer_with_history("C001")
    assert staff_client.get("/customers/C001%00/").status_code == 404
    for query in ["q=C001%00", "city=%00", "tag=a%00b"]:
        response = staff_client.get(f"/customers/?{query}")
        assert response.status_code == 200
        assert response.context["listing"].page.paginator.count == 0


def test_customer_360_of_a_merged_id_redirects_to_the_surviving_customer(staff_client):
    upsert_customer(record=CustomerRecord(customer_id="C1", phone="13800138000"))
    upsert_customer(record=CustomerRecord(customer_id="C2", email="wang@example.com"))
    upsert_customer(record=CustomerRecord(phone="13800138000", email="wang@example.com"))
    assert list(Customer.objects.values_list("customer_id", flat=True)) == ["C1"]
    response = staff_client.get("/customers/C2/")
    assert response.status_code == 302
    assert response.url == reverse("customers:detail", args=["C1"])


def test_customer_360_query_count_does_not_grow_with_history(staff_client):
    build_customer_with_history("C001", events=2, orders=1)
    small = _count_queries(staff_client, "/customers/C001/")
    build_customer_with_history("C002", events=25, orders=12)
    large = _count_queries(staff_client, "/customers/C002/")
    assert large == small


def test_superuser_sees_customer_pages_without_a_role(client, db):
    from django.contrib.auth.models import User

    client.force_login(User.objects.create_superuser("root", "root@example.com", "x"))
    build_customer_with_history("C001")
    assert client.get("/customers/").status_code == 200
    assert client.get("/customers/C001/").status_code == 200


def test_log_out_button_ends_the_session(staff_client):
    page = staff_client.get("/customers/").content.decode()
    assert 'action="/accounts/logout/" method="post"' in page
    response = staff_client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response.url == "/accounts/login/"
    assert staff_client.get("/customers/").status_code == 302


def test_a_refused_page_explains_itself_in_the_staff_layout(client, db):
    client.force_login(create_user_with_permissions("intern"))
    response = client.get("/customers/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "无权访问" in html
    assert "退出登录" in html
