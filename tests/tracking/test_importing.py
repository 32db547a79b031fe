import json
from datetime import UTC, datetime

import pytest

from kesheng.tracking.models import Event, JourneyStage, Touchpoint
from tests.import_helpers import database_snapshot, run_import, write_file


@pytest.fixture
def customers(make_customer):
    return [make_customer("KH0001", name="王芳"), make_customer("KH0002", name="李伟")]


def line(**fields) -> str:
    return json.dumps(fields, ensure_ascii=False) + "\n"


def test_imports_events_creating_unknown_touchpoints_on_known_channels(customers, tmp_path):
    path = write_file(
        tmp_path,
        "events.jsonl",
        line(
            event_id="ev-1",
            customer_id="KH0001",
            type="store_visit",
            channel="store",
            touchpoint="store_entrance",
            occurred_at="2025-03-01T10:02:00+08:00",
            properties={"store": "sh-jingan", "visits": 3, "tags": ["新客", "会员"], "x": None},
        )
        + "\n"
        + line(
            event_id="ev-2",
            customer_id="KH0002",
            type="fitting",
            channel="store",
            touchpoint="store_fitting_room",
            occurred_at="2025-03-01 11:00:00.250000",
        ),
    )
    code, out, err = run_import("events", str(path))
    assert (code, err) == (0, "")
    assert out == (
        "events: 2 created, 0 updated, 0 unchanged, 0 duplicates, 0 merged, 0 rejected; "
        "new references created: 1 touchpoint\n"
    )
    first = Event.objects.select_related("channel", "touchpoint").get(event_id="ev-1")
    assert first.customer_id == customers[0].pk
    assert (first.channel.code, first.touchpoint.code) == ("store", "store_entrance")
    assert first.occurred_at == datetime(2025, 3, 1, 2, 2, tzinfo=UTC)
    assert first.properties == {
        "store": "sh-jingan",
        "visits": 3,
        "tags": ["新客", "会员"],
        "x": None,
    }
    second = Event.objects.get(event_id="ev-2")
    assert second.occurred_at == datetime(2025, 3, 1, 3, 0, 0, 250000, tzinfo=UTC)
    assert second.properties == {}
    created = Touchpoint.objects.select_related("channel").get(code="store_fitting_room")
    assert (created.channel.code, created.journey_stage) == ("store", JourneyStage.UNASSIGNED)


def test_bad_lines_exit_2_with_each_problem_and_change_nothing(customers, tmp_path):
    path = write_file(
        tmp_path,
        "events.jsonl",
        line(
            event_id="ev-1",
            customer_id="KH0001",
            type="visit",
            channel="store",
            occurred_at="2025-03-01T10:00:00+08:00",
        )
        + '{"event_id": "ev-2", "customer_id": \n'
        + "[1, 2]\n"
        + line(
            event_id="ev-4",
            customer_id="KH9999",
            type="visit",
            channel="store",
            occurred_at="2025-03-01T10:00:00+08:00",
        )
        + line(
            event_id="ev-5",
            customer_id="KH0001",
            type="visit",
            channel="tmall",
            occurred_at="2025-03-01T10:00:00+08:00",
        )
        + line(event_id="ev-6", customer_id="KH0001", type="visit", channel="web")
        + line(
            event_id="ev-7",
            customer_id="KH0001",
            type="visit",
            channel="web",
            touchpoint="store_checkout",
            occurred_at="2025-03-01T10:00:00+08:00",
        )
        + line(
            event_id="ev-8",
            customer_id="KH0001",
            type="visit",
            channel="web",
            occurred_at="2025-03-01T10:00:00+08:00",
            properties="big",
            colour="red",
        ),
    )
    before = database_snapshot()
    code, _out, err = run_import("events", str(path))
    assert code == 2
    assert err.splitlines() == [
        "row 2, column -: is not valid JSON (Expecting value at column 36)",
        "row 3, column -: must be a JSON object",
        "row 4, column customer_id: unknown customer 'KH9999'",
        "row 5, column channel: unknown channel 'tmall' "
        "(known: app, call_centre, email, sms, social, store, web, wechat)",
        "row 6, column occurred_at: is required",
        "row 7, column touchpoint: "
        "touchpoint 'store_checkout' belongs to another channel than 'web'",
        "row 8, column colour: is not an event field",
        "7 of 8 rows are invalid; nothing was imported",
    ]
    assert database_snapshot() == before


def test_skip_invalid_writes_rejected_lines_with_their_reason(customers, tmp_path):
    good = line(
        event_id="ev-1",
        customer_id="KH0001",
        type="visit",
        channel="store",
        occurred_at="2025-03-01T10:00:00+08:00",
    )
    bad = line(
        event_id="ev-2",
        customer_id="KH9999",
        type="visit",
        channel="store",
        occurred_at="2025-03-01T10:00:00+08:00",
        properties={"门店": "静安"},
    )
    path = write_file(tmp_path, "events.jsonl", good + bad + "not json\n")
    code, _out, err = run_import("events", str(path), "--skip-invalid")
    assert code == 0
    rejected = tmp_path / "events.jsonl.rejected.jsonl"
    assert err == f"2 rejected rows were written to {rejected}\n"
    assert list(Event.objects.values_list("event_id", flat=True)) == ["ev-1"]
    assert [json.loads(text) for text in rejected.read_text(encoding="utf-8").splitlines()] == [
        {**json.loads(bad), "reason": "customer_id: unknown customer 'KH9999'"},
        {"line": "not json", "reason": "is not valid JSON (Expecting value at column 1)"},
    ]


def test_reimporting_the_same_file_changes_nothing(customers, tmp_path):
    path = write_file(
        tmp_path,
        "events.jsonl",
        line(
            event_id="ev-1",
            customer_id="KH0001",
            type="visit",
            channel="store",
            touchpoint="store_new_corner",
            occurred_at="2025-03-01T10:00:00+08:00",
        )
        + line(
            event_id="ev-1",
            customer_id="KH0001",
            type="visit",
            channel="store",
            occurred_at="2025-03-01T10:00:00+08:00",
        ),
    )
    code, out, _ = run_import("events", str(path))
    assert out.startswith("events: 1 created, 0 updated, 0 unchanged, 1 duplicates, ")
    before = database_snapshot()
    code, out, err = run_import("events", str(path))
    assert (code, err) == (0, "")
    assert out == (
        "events: 0 created, 0 updated, 0 unchanged, 2 duplicates, 0 merged, 0 rejected\n"
    )
    assert database_snapshot() == before


def test_refuses_json_lines_the_database_cannot_store_and_keeps_the_database(customers, tmp_path):
    good = '{"event_id": "ev-%s", "customer_id": "KH0001", "type": "x", "channel": "web", '
    good += '"occurred_at": "2025-03-01T10:00:00+08:00", "properties": {"v": %s}}\n'
    path = write_file(
        tmp_path,
        "events.jsonl",
        good % (1, "1")
        + good % (2, "NaN")
        + good % (3, "-1e999")
        + good % (4, '"a\\u0000b"')
        + good % (5, '"\\udc00"')
        + good % (6, "1" * 5000)
        + good % (7, "[" * 100_000 + "]" * 100_000),
    )
    before = database_snapshot()
    code, out, err = run_import("events", str(path))
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        "row 2, column -: is not valid JSON (NaN is not a JSON number)",
        "row 3, column -: is not valid JSON (-1e999 is too large a number to store)",
        "row 4, column -: is not valid JSON (text may not contain the NUL character (\\u0000))",
        "row 5, column -: is not valid JSON (text contains an unpaired UTF-16 surrogate escape)",
        "row 6, column -: is not valid JSON (Exceeds the limit (4300 digits) for integer string "
        "conversion: value has 5000 digits; use sys.set_int_max_str_digits() to increase the "
        "limit)",
        "row 7, column -: is not valid JSON (nested too deeply)",
        "6 of 7 rows are invalid; nothing was imported",
    ]
    assert database_snapshot() == before
