import csv
from datetime import UTC, datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.db import connection

from kesheng.commerce.models import Order, Store
from kesheng.core import ingest
from tests.import_helpers import EXAMPLES, database_snapshot, run_import, write_file

HEADER = "order_id,customer_id,ordered_at,amount,currency,store,channel\n"


@pytest.fixture
def customers(make_customer):
    return [
        make_customer("KH0001", name="王芳"),
        make_customer("KH0002", name="李伟"),
        make_customer("KH0003", name="张敏"),
        make_customer("KH0005", name="陈静"),
        make_customer("KH0006", name="杨磊"),
    ]


def test_imports_orders_with_exact_money_and_time(customers, tmp_path):
    path = write_file(
        tmp_path,
        "orders.csv",
        HEADER
        + "SO-1,KH0001,2025-03-01 10:15:00,268.00,CNY,sh-jingan,store\n"
        + "WEB-2,KH0002,2025-03-02T21:40:00.123456+08:00,1234567.89,,,web\n"
        + "SO-3,KH0003,2025-03-03T02:00:00Z,0.5,HKD,sh-jingan,\n",
    )
    code, out, err = run_import("orders", str(path))
    assert (code, err) == (0, "")
    assert out == (
        "orders: 3 created, 0 updated, 0 unchanged, 0 duplicates, 0 merged, 0 rejected; "
        "new references created: 1 store\n"
    )
    orders = {order.order_id: order for order in Order.objects.select_related("store", "channel")}
    assert orders["SO-1"].ordered_at == datetime(2025, 3, 1, 2, 15, tzinfo=UTC)
    assert orders["SO-1"].amount == Decimal("268.00")
    assert orders["SO-1"].store.code == "sh-jingan"
    assert orders["SO-1"].customer_id == customers[0].pk
    assert orders["WEB-2"].ordered_at == datetime(2025, 3, 2, 13, 40, 0, 123456, tzinfo=UTC)
    assert orders["WEB-2"].amount == Decimal("1234567.89")
    assert orders["WEB-2"].currency == "CNY"
    assert orders["WEB-2"].store is None
    assert orders["WEB-2"].channel.code == "web"
    assert orders["SO-3"].channel.code == "store"  # a store and no channel: bought in the store
    assert (orders["SO-3"].amount, orders["SO-3"].currency) == (Decimal("0.50"), "HKD")
    assert orders["SO-3"].status == "placed"
    assert Store.objects.get().name_zh == "sh-jingan"


def test_bad_rows_exit_2_with_each_problem_and_change_nothing(customers):
    before = database_snapshot()
    code, out, err = run_import("orders", str(EXAMPLES / "orders-with-errors.csv"))
    assert code == 2
    assert out == ""
    assert err.splitlines() == [
        "row 3, column customer_id: unknown customer 'KH9999'",
        "row 4, column amount: '¥88' is not an amount",
        "row 5, column ordered_at: '2025/3/10 13:00' is not a date and time "
        "(use ISO 8601, e.g. 2025-03-01T14:30:00+08:00)",
        "row 6, column channel: unknown channel 'tmall' "
        "(known: app, call_centre, email, sms, social, store, web, wechat)",
        "4 of 6 rows are invalid; nothing was imported",
    ]
    assert database_snapshot() == before


def test_skip_invalid_loads_the_good_rows_and_writes_the_rejected_ones(customers, tmp_path):
    source = tmp_path / "orders.csv"
    source.write_bytes((EXAMPLES / "orders-with-errors.csv").read_bytes())
    code, out, err = run_import("orders", str(source), "--skip-invalid")
    assert code == 0
    rejected = tmp_path / "orders.csv.rejected.csv"
    assert err == f"4 rejected rows were written to {rejected}\n"
    assert out.startswith("orders: 2 created, 0 updated, 0 unchanged, 0 duplicates, 0 merged, ")
    assert "4 rejected" in out
    assert sorted(Order.objects.values_list("order_id", flat=True)) == [
        "SO-20250310-0001",
        "SO-20250310-0006",
    ]
    with rejected.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows == [
        [
            "order_id",
            "customer_id",
            "ordered_at",
            "amount",
            "currency",
            "store",
            "channel",
            "reason",
        ],
        [
            "SO-20250310-0002",
            "KH9999",
            "2025-03-10 11:30:00",
            "56.00",
            "CNY",
            "sh-jingan",
            "store",
            "customer_id: unknown customer 'KH9999'",
        ],
        [
            "SO-20250310-0003",
            "KH0002",
            "2025-03-10 12:00:00",
            "¥88",
            "CNY",
            "bj-chaoyang",
            "store",
            "amount: '¥88' is not an amount",
        ],
        [
            "SO-20250310-0004",
            "KH0003",
            "2025/3/10 13:00",
            "99.00",
            "CNY",
            "",
            "web",
            "ordered_at: '2025/3/10 13:00' is not a date and time "
            "(use ISO 8601, e.g. 2025-03-01T14:30:00+08:00)",
        ],
        [
            "SO-20250310-0005",
            "KH0005",
            "2025-03-10 14:00:00",
            "45.00",
            "CNY",
            "",
            "tmall",
            "channel: unknown channel 'tmall' "
            "(known: app, call_centre, email, sms, social, store, web, wechat)",
        ],
    ]


def test_corrected_rejected_file_imports_as_it_is(customers, tmp_path):
    source = tmp_path / "orders.csv"
    source.write_bytes((EXAMPLES / "orders-with-errors.csv").read_bytes())
    rejected = tmp_path / "fix-me.csv"
    run_import("orders", str(source), "--skip-invalid", "--rejected", str(rejected))
    fixed = (
        rejected.read_text(encoding="utf-8-sig")
        .replace("KH9999", "KH0001")
        .replace("¥88", "88")
        .replace("2025/3/10 13:00", "2025-03-10 13:00")
        .replace("tmall", "web")
    )
    rejected.write_text(fixed, encoding="utf-8-sig")
    code, _out, err = run_import("orders", str(rejected))
    assert (code, err) == (0, "")
    assert Order.objects.count() == 6


def test_dry_run_reports_what_would_happen_and_writes_nothing(customers, tmp_path):
    source = tmp_path / "orders.csv"
    source.write_bytes((EXAMPLES / "orders-with-errors.csv").read_bytes())
    before = database_snapshot()
    code, out, err = run_import("orders", str(source), "--dry-run", "--skip-invalid", "--json")
    assert code == 0
    assert database_snapshot() == before
    assert not (tmp_path / "orders.csv.rejected.csv").exists()
    assert err.splitlines()[-1] == "4 rows would be rejected"
    import json

    report = json.loads(out)
    assert report["dry_run"] is True
    assert (report["created"], report["rejected"]) == (2, 4)
    assert report["created_references"] == {"stores": 2}


def test_reimporting_the_same_file_changes_nothing(customers, tmp_path):
    path = write_file(
        tmp_path,
        "orders.csv",
        HEADER
        + "SO-1,KH0001,2025-03-01 10:15:00,268.00,CNY,sh-jingan,store\n"
        + "SO-2,KH0002,2025-03-02 10:15:00,12.00,CNY,,web\n",
    )
    run_import("orders", str(path))
    before = database_snapshot()
    code, out, err = run_import("orders", str(path))
    assert (code, err) == (0, "")
    assert out == (
        "orders: 0 created, 0 updated, 0 unchanged, 2 duplicates, 0 merged, 0 rejected\n"
    )
    assert database_snapshot() == before


def test_unknown_and_missing_columns_are_refused_as_row_1(customers, tmp_path):
    path = write_file(
        tmp_path,
        "orders.csv",
        "order_id,customer_id,ordered_at,price\nSO-1,KH0001,2025-03-01 10:15:00,1\n",
    )
    code, _out, err = run_import("orders", str(path))
    assert code == 2
    assert err.splitlines()[:2] == [
        "row 1, column price: is not a column of this file "
        "(known: order_id, customer_id, ordered_at, amount, currency, store, channel, status)",
        "row 1, column amount: is missing from the header",
    ]
    assert Order.objects.count() == 0


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the index pause is SQLite's")
def test_large_import_on_sqlite_keeps_every_index(customers, tmp_path, monkeypatch):
    monkeypatch.setattr(ingest, "SQLITE_INDEX_PAUSE_MIN_ROWS", 5)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
            "AND tbl_name = 'commerce_order' ORDER BY name"
        )
        indexes_before = cursor.fetchall()
    rows = "".join(f"SO-{n},KH0001,2025-03-01 10:{n:02d}:00,{n}.00,CNY,,web\n" for n in range(20))
    path = write_file(tmp_path, "orders.csv", HEADER + rows)
    code, _, err = run_import("orders", str(path))
    assert (code, err) == (0, "")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
            "AND tbl_name = 'commerce_order' ORDER BY name"
        )
        assert cursor.fetchall() == indexes_before
    assert Order.objects.filter(customer=customers[0]).count() == 20
    assert len(indexes_before) >= 4


def test_summary_names_the_new_stores_in_chinese_when_chinese_is_active(customers, tmp_path):
    from django.core.management import call_command
    from django.utils import translation

    path = write_file(
        tmp_path,
        "orders.csv",
        HEADER
        + "SO-1,KH0001,2025-03-01 10:15:00,268.00,CNY,sh-jingan,store\n"
        + "SO-2,KH0002,2025-03-01 11:15:00,99.00,CNY,bj-sanlitun,store\n",
    )
    output = StringIO()
    with translation.override("zh-hans"):
        call_command("import", "orders", str(path), stdout=output)
    assert output.getvalue() == (
        "orders: 新建 2 条, 更新 0 条, 未变 0 条, 重复 0 条, 合并 0 条, 拒绝 0 条; "
        "新建的引用：2 家门店\n"
    )
