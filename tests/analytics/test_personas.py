"""Personas: the pure model recovers known clusters and chooses their number, and through the
scoring run they are stored, described, listed (CLI, API, page) and usable in segments."""

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from django.core.management import call_command
from django.utils import translation
from sklearn.metrics import adjusted_rand_score

from kesheng.analytics import personas
from kesheng.analytics.actions import score_customers
from kesheng.analytics.actions_personas import assign_personas
from kesheng.analytics.models import CustomerScore, Persona
from kesheng.commerce.actions import prepare_orders, write_orders
from kesheng.core.errors import InvalidInput
from kesheng.customers.actions import create_segment
from kesheng.customers.queries import count_segment_members
from kesheng.tracking.actions import record_events


def _population(rng, sizes, centres, spread=0.5):
    rows = [
        rng.normal(centre, spread, size=(size, len(centre)))
        for size, centre in zip(sizes, centres, strict=True)
    ]
    truth = np.repeat(np.arange(len(sizes)), sizes)
    return np.vstack(rows), truth


def test_k_means_recovers_three_known_groups_and_chooses_k_3():
    rng = np.random.default_rng(7)
    features, truth = _population(rng, [60, 40, 50], [(0, 0, 0, 0), (6, 0, 6, 0), (0, 6, 0, 6)])
    spend = np.array([100.0, 900.0, 400.0])[truth]  # group 1 is the most valuable
    fit = personas.fit_personas(features, spend)
    assert fit.k == 3
    assert max(fit.silhouettes, key=fit.silhouettes.get) == 3
    assert adjusted_rand_score(truth, fit.labels) == 1.0
    # Numbered by mean spend: group 1 (900) is persona 1, group 2 (400) persona 2.
    assert fit.labels[truth == 1].tolist() == [1] * 40
    assert fit.labels[truth == 2].tolist() == [2] * 50
    assert fit.labels[truth == 0].tolist() == [3] * 60


def test_k_means_finds_five_groups_when_there_are_five():
    rng = np.random.default_rng(11)
    centres = [(0, 0), (10, 0), (0, 10), (10, 10), (5, 20)]
    features, truth = _population(rng, [30] * 5, centres)
    fit = personas.fit_personas(features, np.arange(150.0))
    assert fit.k == 5 and adjusted_rand_score(truth, fit.labels) == 1.0


def test_too_few_customers_are_refused_with_a_reason():
    with pytest.raises(personas.PersonaError) as refused:
        personas.fit_personas(np.zeros((5, 2)), np.zeros(5))
    assert refused.value.code == "too_few_customers"


def test_standardise_weights_blocks_and_fills_missing_with_the_mean():
    scaled = personas.standardise(
        [[1.0, 1.0, 0.0, np.nan], [3.0, 0.0, 1.0, 2.0], [2.0, 0.5, 0.5, 4.0]], blocks=[1, 2, 1]
    )
    assert scaled[:, 0].tolist() == pytest.approx([-1.2247449, 1.2247449, 0.0])
    # A block of two columns is divided by √2.
    assert scaled[0, 1] == pytest.approx(1.2247449 / np.sqrt(2))
    assert scaled[0, 3] == 0.0  # NaN → the mean


def test_pivot_shares_keeps_the_top_keys_and_adds_the_rest_under_other():
    names, shares = personas.pivot_shares(
        [1, 2, 3], [1, 1, 1, 2, 9], ["a", "b", "c", "a", "a"], [2, 1, 1, 5, 7], top=1
    )
    assert names == ["a", ""]
    assert shares.tolist() == [[0.5, 0.5], [1.0, 0.0], [0.0, 0.0]]


NOW = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)


@pytest.fixture
def two_kinds(make_customer):
    """20 store regulars (6 orders of about 800 in kitchenware, store events) and 20 one-time
    web buyers (1 order of about 50 in snacks, web events)."""
    orders, events = [], []
    for index in range(40):
        regular = index < 20
        customer_id = f"{'S' if regular else 'W'}{index:02d}"
        make_customer(customer_id)
        for number in range(6 if regular else 1):
            orders.append(
                {
                    "order_id": f"{customer_id}-{number}",
                    "customer_id": customer_id,
                    "ordered_at": (NOW - timedelta(days=10 + 20 * number)).isoformat(),
                    "amount": f"{(800 if regular else 50) + index}.00",
                    "channel": "store" if regular else "web",
                    "lines": [
                        {
                            "sku": "POT" if regular else "CHIPS",
                            "category": "kitchen" if regular else "snacks",
                            "unit_price": f"{(800 if regular else 50) + index}.00",
                        }
                    ],
                }
            )
            events.append(
                {
                    "event_id": f"{customer_id}-e{number}",
                    "customer_id": customer_id,
                    "type": "visit",
                    "channel": "store" if regular else "web",
                    "occurred_at": (NOW - timedelta(days=11 + 20 * number)).isoformat(),
                }
            )
    assert not write_orders(prepare_orders(orders), emit_each=False).rejected
    assert not record_events(items=events).rejected


def test_scoring_forms_and_stores_personas_with_descriptions(two_kinds):
    summary = score_customers(now=NOW)
    assert summary.personas["k"] == 2 and summary.personas["error"] is None
    regulars = set(
        CustomerScore.objects.filter(persona=1).values_list("customer__customer_id", flat=True)
    )
    assert regulars == {f"S{index:02d}" for index in range(20)}
    first = Persona.objects.get(number=1)
    assert (first.customers, first.share, first.mean_frequency) == (20, 0.5, 6.0)
    assert first.mean_monetary == pytest.approx(6 * (800 + 9.5))
    assert first.channels == [["store", 1.0]] and first.categories == [["kitchen", 1.0]]
    assert first.mean_nps is None and first.value_index > 1.5
    from kesheng.analytics.queries import list_personas

    with translation.override("en"):
        listing = list_personas()
    assert listing["k"] == 2
    described = listing["personas"][0]
    assert described["name"] == "High value, mostly Store"
    assert described["description"].startswith(
        "20 customers (50.0 % of those with orders), high value: 4857 CNY spent on average "
        "over 6.0 orders"
    )
    assert "Typical channels: Store 100 %." in described["description"]
    assert "Buys mostly: kitchen 100 %." in described["description"]
    assert set(described["descriptions"]) == {"zh-hans", "en"}
    assert listing["personas"][1]["name"].startswith("Low value")


def test_persona_is_a_segment_field_and_refuses_an_unknown_persona(two_kinds):
    score_customers(now=NOW)
    segment = create_segment(
        name="regulars",
        rules={"all": [{"field": "analytics.persona", "op": "eq", "value": "1"}]},
    )
    assert count_segment_members(segment) == 20
    others = create_segment(
        name="others",
        rules={"all": [{"field": "analytics.persona", "op": "ne", "value": "1"}]},
    )
    assert count_segment_members(others) == 20
    with pytest.raises(InvalidInput) as refused:
        create_segment(
            name="typo", rules={"all": [{"field": "analytics.persona", "op": "eq", "value": "9"}]}
        )
    assert refused.value.errors[0].field == "rules.all[0].value"


def test_assign_personas_reforms_them_from_the_stored_scores(two_kinds):
    score_customers(now=NOW)
    CustomerScore.objects.update(persona=None)
    Persona.objects.all().delete()
    run = assign_personas(now=NOW)
    assert run.to_json()["k"] == 2
    assert CustomerScore.objects.filter(persona=1).count() == 20
    assert Persona.objects.count() == 2


def test_too_few_customers_leave_personas_empty_with_the_reason(make_customer):
    make_customer("C1")
    orders = [
        {
            "order_id": "o1",
            "customer_id": "C1",
            "ordered_at": (NOW - timedelta(days=3)).isoformat(),
            "amount": "10.00",
            "channel": "web",
        }
    ]
    assert not write_orders(prepare_orders(orders), emit_each=False).rejected
    summary = score_customers(now=NOW)
    assert summary.personas["error"]["code"] == "too_few_customers"
    assert CustomerScore.objects.get().persona is None and not Persona.objects.exists()


def test_cli_and_api_list_the_personas(two_kinds, capsys, api_client):
    score_customers(now=NOW)
    call_command("analytics", "personas", "--json")
    listing = json.loads(capsys.readouterr().out)
    assert [row["customers"] for row in listing["personas"]] == [20, 20]
    call_command("analytics", "personas", "--recompute")
    assert "1." in capsys.readouterr().out
    response = api_client("customers:read").get("/api/v1/analytics/personas")
    assert response.status_code == 200 and response.json()["k"] == 2
