"""Case KPIs and scorecards, exact on a small built dataset; the pages, with n; the command's
JSON; a bad period refused."""

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command

from kesheng.cases.actions import (
    acknowledge_case,
    close_case,
    open_case,
    reopen_case,
    resolve_case,
)
from kesheng.cases.kpi_math import duration_summary, mean_summary, percentile, share_summary
from kesheng.cases.models import Case
from kesheng.cases.queries.kpis import case_kpis, staff_scorecards
from kesheng.commerce.actions import record_orders
from tests.staff_fixtures import STAFF_PASSWORD, create_staff_user
from tests.surveys.results_fixtures import add_completed_response

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 9, day, hour, minute, tzinfo=SHANGHAI)


def test_percentiles_shares_and_means():
    assert percentile([10, 20], 0.5) == 15
    assert percentile(list(range(1, 11)), 0.9) == pytest.approx(9.1)
    assert percentile([], 0.5) is None
    assert duration_summary([30, 60, 120, 2880]) == {"n": 4, "median": 90.0, "p90": 2052.0}
    assert share_summary(3, 4) == {
        "n": 4,
        "count": 3,
        "share": 0.75,
        "margin": 0.4243,
        "small_sample": True,
    }
    assert share_summary(0, 0)["share"] is None
    assert mean_summary([5, 1, 4]) == {
        "n": 3,
        "mean": 3.333,
        "margin": 2.356,
        "small_sample": True,
    }


@pytest.fixture
def dataset(stores, make_customer, survey):
    li, wang = create_staff_user("li"), create_staff_user("wang")
    customers = {
        number: make_customer(f"C{number:03d}", name=f"客户{number}") for number in range(1, 7)
    }
    record_orders(
        items=[
            {
                "order_id": f"O{number}",
                "customer_id": "C001",
                "ordered_at": f"2026-09-{number + 1:02d}T10:00:00+08:00",
                "amount": "10.00",
                "store": "sh01" if number < 5 else "bj01",
                "status": "cancelled" if number == 4 else "completed",
            }
            for number in range(7)
        ]
    )

    def case(number, category, store, assignee, opened):
        return open_case(
            category=category,
            customer=customers[number],
            summary="s",
            store_id=stores[store].pk,
            assignee=assignee,
            now=opened,
        )

    a = case(1, "complaint", "sh01", li, at(1, 9))
    acknowledge_case(case=a, actor=li, now=at(1, 10))
    resolve_case(case=a, actor=li, now=at(2, 9))
    b = case(2, "delivery", "sh01", wang, at(3, 9))
    acknowledge_case(case=b, actor=wang, now=at(3, 11))
    resolve_case(case=b, actor=wang, now=at(4, 9))
    reopen_case(case=b, actor=wang, now=at(5, 9))
    resolve_case(case=b, actor=wang, now=at(5, 10))
    c = case(3, "detractor", "bj01", li, at(6, 9))
    acknowledge_case(case=c, actor=li, now=at(8, 9))  # late: a breach
    resolve_case(case=c, actor=li, now=at(8, 10))
    add_completed_response(
        survey, {"visit": "shop", "nps": 9}, customer=customers[3], completed_at=at(20, 10)
    )
    d = case(4, "detractor", "bj01", None, at(10, 9))
    # A promoter answer before the case (same day): not a recovery.
    add_completed_response(
        survey, {"visit": "shop", "nps": 8}, customer=customers[4], completed_at=at(10, 8)
    )
    e = case(5, "low_satisfaction", "sh01", li, at(12, 9))
    acknowledge_case(case=e, actor=li, now=at(12, 9, 30))
    resolve_case(case=e, actor=li, now=at(12, 12))
    close_case(case=e, actor=li, now=at(12, 13))
    case(6, "complaint", "sh01", li, at(30, 10))  # after the period
    # The handling survey's answers (their flow is tested in test_handling_survey).
    for handled, score in ((a, 5), (b, 1), (e, 4)):
        Case.objects.filter(pk=handled.pk).update(handling_csat=score)
    return {"a": a, "b": b, "c": c, "d": d, "e": e}


def test_case_kpis_are_exact_on_a_small_dataset(dataset):
    kpis = case_kpis(opened_from=at(1, 0), opened_to=at(30, 0))
    overall = kpis["overall"]
    assert overall == {
        "cases": 5,
        "complaints": 2,
        "orders": 6,
        "complaints_per_1000_orders": 333.33,
        "first_response_minutes": {"n": 4, "median": 90.0, "p90": 2052.0},
        "resolution_minutes": {"n": 4, "median": 2190.0, "p90": 2940.0},
        "sla_compliance": share_summary(3, 4),
        "reopen_rate": share_summary(1, 4),
        "recovered_detractors": share_summary(1, 2),
        "handling_csat": mean_summary([5, 1, 4]) | {"satisfied": share_summary(2, 3)},
    }
    by_store = {row["key"]: row for row in kpis["by_store"]}
    assert {
        key: (row["cases"], row["complaints_per_1000_orders"]) for key, row in by_store.items()
    } == {
        "bj01": (2, 0.0),
        "sh01": (3, 500.0),
    }
    by_agent = {row["key"]: row for row in kpis["by_agent"]}
    assert {key: row["cases"] for key, row in by_agent.items()} == {"li": 3, "wang": 1, "none": 1}
    assert by_agent["li"]["sla_compliance"] == share_summary(2, 3)
    assert by_agent["wang"]["reopen_rate"] == share_summary(1, 1)
    assert by_agent["li"]["complaints_per_1000_orders"] is None
    by_category = {row["key"]: row["cases"] for row in kpis["by_category"]}
    assert by_category == {"complaint": 1, "delivery": 1, "detractor": 2, "low_satisfaction": 1}
    assert {row["key"]: row["recovered_detractors"]["count"] for row in kpis["by_category"]}[
        "detractor"
    ] == 1


def test_a_store_manager_sees_their_stores_only(dataset, stores):
    kpis = case_kpis(
        opened_from=at(1, 0), opened_to=at(30, 0), store_ids=frozenset({stores["bj01"].pk})
    )
    assert (kpis["overall"]["cases"], kpis["overall"]["orders"]) == (2, 2)


def test_scorecards_per_agent_and_store(dataset):
    cards = staff_scorecards(opened_from=at(1, 0), opened_to=at(30, 0))
    li = next(card for card in cards["agents"] if card["key"] == "li")
    assert (li["cases"], li["handling_csat"]["mean"], li["handling_csat"]["n"]) == (3, 4.5, 2)
    assert li["first_response_minutes"] == {"n": 3, "median": 60.0, "p90": 2316.0}
    sh01 = next(card for card in cards["stores"] if card["key"] == "sh01")
    assert (sh01["cases"], sh01["complaints"], sh01["compliments"]) == (3, 2, 0)
    assert cards["staff_members"] == []


def test_kpi_and_scorecard_pages_show_n(client, dataset):
    create_staff_user("agent.li")
    client.login(username="agent.li", password=STAFF_PASSWORD)
    page = client.get("/cases/kpis/", {"opened_from": "2026-09-01", "opened_to": "2026-09-29"})
    assert page.status_code == 200
    assert b"(3/4)" in page.content  # SLA compliance with its n
    assert b"333.33" in page.content
    cards = client.get(
        "/cases/scorecards/", {"opened_from": "2026-09-01", "opened_to": "2026-09-29"}
    )
    assert cards.status_code == 200
    assert b"(n=2)" in cards.content
    bad = client.get("/cases/kpis/", {"opened_from": "2026-09-30", "opened_to": "2026-09-01"})
    assert bad.status_code == 400
    assert client.get("/cases/kpis/", {"opened_from": "not a date"}).status_code == 400


def test_the_command_prints_the_kpis_as_json_and_refuses_a_bad_date(dataset, capsys):
    call_command("cases", "kpis", "--from", "2026-09-01", "--to", "2026-09-29", "--json")
    printed = json.loads(capsys.readouterr().out)
    assert printed["overall"]["cases"] == 5
    assert printed["overall"]["complaints_per_1000_orders"] == 333.33
    call_command("cases", "kpis", "--from", "2026-09-01", "--to", "2026-09-29")
    assert "sh01: cases 3" in capsys.readouterr().out
    with pytest.raises(CommandError) as refused:
        call_command("cases", "kpis", "--from", "2026-02-30")
    assert (refused.value.returncode, str(refused.value)) == (
        2,
        "--from: '2026-02-30' is not a date like 2026-10-01",
    )


def test_the_scorecards_command_prints_agents_stores_and_staff(dataset, capsys):
    call_command("cases", "scorecards", "--from", "2026-09-01", "--to", "2026-09-29")
    printed = capsys.readouterr().out
    assert "li: cases 3 · CSAT 4.5 (n=2)" in printed
    call_command("cases", "scorecards", "--from", "2026-09-01", "--to", "2026-09-29", "--json")
    assert set(json.loads(capsys.readouterr().out)) == {
        "period",
        "agents",
        "stores",
        "staff_members",
    }
