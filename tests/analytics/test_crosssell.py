"""Cross-sell: support, confidence and lift on a hand-worked basket example, the same through
the database, the API and the customer-360 panel."""

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from kesheng.analytics import crosssell
from kesheng.analytics.queries.crosssell import recommend_for_customer_pk
from kesheng.commerce.actions import prepare_orders, write_orders
from kesheng.commerce.models import Product
from kesheng.commerce.queries import list_customer_product_pks, list_kept_basket_arrays
from kesheng.customers.queries import get_customer
from tests.staff_fixtures import STAFF_PASSWORD, create_staff_user

A, B, C, D = 0, 1, 2, 3
# Five baskets: {A,B}, {A,B,C}, {A,C}, {B,D}, {A,B,D} — N = 5, n_A = n_B = 4, n_C = n_D = 2,
# n_AB = 3, n_AC = 2, n_BD = 2, n_AD = n_BC = 1, n_CD = 0.
BASKETS = [[A, B], [A, B, C], [A, C], [B, D], [A, B, D]]


def _cooccurrence():
    basket_ids = [index for index, basket in enumerate(BASKETS) for _ in basket]
    items = [item for basket in BASKETS for item in basket]
    return crosssell.count_cooccurrence(basket_ids, items, 4)


def test_cooccurrence_counts_by_hand():
    counts = _cooccurrence()
    assert counts.baskets == 5
    assert counts.item_baskets.tolist() == [4, 4, 2, 2]
    assert counts.pair_baskets.toarray().tolist() == [
        [4, 3, 2, 1],
        [3, 4, 1, 2],
        [2, 1, 2, 0],
        [1, 2, 0, 2],
    ]


def test_support_confidence_and_lift_by_hand():
    # pairs A-B, A-C, B-D, B-C
    support, confidence, lift = crosssell.association([3, 2, 2, 1], [4, 4, 4, 4], [4, 2, 2, 2], 5)
    assert support.tolist() == [0.6, 0.4, 0.4, 0.2]
    assert confidence.tolist() == [0.75, 0.5, 0.5, 0.25]
    assert lift.tolist() == [0.9375, 1.25, 1.25, 0.625]  # 3·5/(4·4), 2·5/(4·2), ...


def test_recommendations_take_the_best_lift_above_one_of_items_not_owned():
    counts = _cooccurrence()
    only_a = crosssell.recommend_from_cooccurrence(counts, [A], min_pair_baskets=1)
    # B (lift 0.9375) and D (0.625) are not above 1; C is: 2·5/(4·2).
    assert only_a.items.tolist() == [C]
    assert only_a.lift.tolist() == [1.25] and only_a.confidence.tolist() == [0.5]
    owns_c = crosssell.recommend_from_cooccurrence(counts, [C], min_pair_baskets=1)
    assert owns_c.items.tolist() == [A] and owns_c.lift.tolist() == [1.25]
    assert owns_c.confidence.tolist() == [1.0]  # every basket with C has A
    owns_a_b = crosssell.recommend_from_cooccurrence(counts, [A, B], min_pair_baskets=1)
    assert owns_a_b.items.tolist() == [C, D]  # tied lift 1.25: C by A and D by B
    assert owns_a_b.because.tolist() == [A, B]
    # With at least 2 baskets together, D (with A only once) still comes through B.
    strict = crosssell.recommend_from_cooccurrence(counts, [A, B], min_pair_baskets=2)
    assert strict.items.tolist() == [C, D]
    assert crosssell.recommend_from_cooccurrence(counts, [A, B, C, D]).items.tolist() == []


NOW = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)


@pytest.fixture
def baskets(make_customer):
    """The five baskets above as orders of C1..C5 plus C6's order of A alone, and a cancelled
    order of C and D that counts for nothing: N = 6, n_A = 5."""
    skus = {A: "SKU-A", B: "SKU-B", C: "SKU-C", D: "SKU-D"}
    rows = [*BASKETS, [A]]
    items = []
    for number, basket in enumerate(rows, start=1):
        make_customer(f"C{number}")
        items.append(
            {
                "order_id": f"b{number}",
                "customer_id": f"C{number}",
                "ordered_at": (NOW - timedelta(days=number)).isoformat(),
                "amount": "10.00",
                "channel": "web",
                "lines": [{"sku": skus[item], "unit_price": "5.00"} for item in basket],
            }
        )
    items.append(
        {
            "order_id": "cancelled",
            "customer_id": "C6",
            "ordered_at": NOW.isoformat(),
            "amount": "10.00",
            "channel": "web",
            "status": "cancelled",
            "lines": [{"sku": "SKU-C", "unit_price": "5.00"}, {"sku": "SKU-D", "unit_price": "5"}],
        }
    )
    assert not write_orders(prepare_orders(items), emit_each=False).rejected


def test_recommendations_from_the_database_by_hand(baskets):
    c6 = get_customer("C6").pk
    # N = 6, n_A = 5, n_C = 2, n_AC = 2: lift 2·6/(5·2) = 1.2, confidence 2/5, support 2/6.
    assert recommend_for_customer_pk(c6) == {
        "baskets": 6,
        "min_orders_together": 2,
        "recommendations": [
            {
                "sku": "SKU-C",
                "name": "SKU-C",
                "category": "",
                "lift": 1.2,
                "confidence": 0.4,
                "support": 0.3333,
                "orders_together": 2,
                "because": {"sku": "SKU-A", "name": "SKU-A"},
            }
        ],
    }
    c1 = recommend_for_customer_pk(get_customer("C1").pk)["recommendations"]
    # D through B: 2·6/(4·2) = 1.5; C through A: 1.2.
    assert [(row["sku"], row["lift"]) for row in c1] == [("SKU-D", 1.5), ("SKU-C", 1.2)]
    assert recommend_for_customer_pk(get_customer("C4").pk)["recommendations"] == []


def test_the_database_and_the_sparse_matrix_agree(baskets):
    orders, products = list_kept_basket_arrays()
    ids, items = np.unique(products, return_inverse=True)
    counts = crosssell.count_cooccurrence(orders, items.ravel(), len(ids))
    c1 = get_customer("C1").pk
    owned = np.searchsorted(ids, list_customer_product_pks(c1))
    matrix = crosssell.recommend_from_cooccurrence(counts, owned)
    assert counts.baskets == 6 and matrix.lift.tolist() == [1.5, 1.2]
    database = recommend_for_customer_pk(c1)["recommendations"]
    assert [row["lift"] for row in database] == matrix.lift.tolist()
    skus = dict(Product.objects.values_list("pk", "sku"))
    assert [skus[pk] for pk in ids[matrix.items].tolist()] == [row["sku"] for row in database]


def test_api_recommendations(baskets, api_client):
    client = api_client("customers:read")
    response = client.get("/api/v1/customers/C6/recommendations?top=1")
    assert response.status_code == 200
    body = response.json()
    assert body["customer_id"] == "C6" and body["recommendations"][0]["lift"] == 1.2
    assert client.get("/api/v1/customers/NOBODY/recommendations").status_code == 404
    bad = client.get("/api/v1/customers/C6/recommendations?top=0")
    assert bad.status_code == 422
    assert bad.json()["errors"] == [{"field": "top", "reason": "a whole number from 1 to 20"}]


def test_the_360_page_shows_bought_together(baskets, client):
    create_staff_user("analyst.wu", role="analyst")
    client.login(username="analyst.wu", password=STAFF_PASSWORD)
    html = client.get("/customers/C6/", headers={"Accept-Language": "en"}).content.decode()
    assert "Bought together" in html
    assert "SKU-C" in html and "1.20" in html
