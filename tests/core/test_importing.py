import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kesheng.commerce.models import Order
from kesheng.core import importing
from kesheng.core.importing import (
    CSV,
    JSONL,
    Importer,
    PreparedImport,
    RowProblem,
    WriteCounts,
    inspect_file,
    iter_rows,
    progress_stream_for,
)
from kesheng.customers.models import Customer
from kesheng.tracking.models import Event
from tests.import_helpers import EXAMPLES, database_snapshot, run_import, write_file

ROOT = Path(__file__).resolve().parent.parent.parent


def rows_of(path: Path, file_format: str = CSV) -> list:
    return list(iter_rows(inspect_file(path, file_format)))


def test_csv_rows_are_numbered_as_a_spreadsheet_shows_them(tmp_path):
    path = write_file(
        tmp_path,
        "things.csv",
        ' Name ,City\r\n王芳,上海\r\n\r\n,\r\n"李\n伟",北京\r\n张敏\r\n',
    )
    assert rows_of(path) == [
        (2, {"name": "王芳", "city": "上海"}),
        (5, {"name": "李\n伟", "city": "北京"}),
        (6, {"name": "张敏", "city": ""}),
    ]


def test_csv_with_a_byte_order_mark_or_in_gbk_reads_the_same(tmp_path):
    text = "name,city\n欧阳娜娜,乌鲁木齐\n"
    expected = [(2, {"name": "欧阳娜娜", "city": "乌鲁木齐"})]
    with_bom = write_file(tmp_path, "bom.csv", text, encoding="utf-8-sig")
    gbk = write_file(tmp_path, "gbk.csv", text, encoding="gbk")
    assert rows_of(with_bom) == expected
    assert inspect_file(gbk, CSV).encoding == "gb18030"
    assert rows_of(gbk) == expected


def test_extra_cells_and_unnamed_columns_are_row_problems(tmp_path):
    path = write_file(tmp_path, "things.csv", "name,city,\na,b,\na,b,c\na,b,c,d\n")
    assert rows_of(path) == [
        (2, {"name": "a", "city": "b"}),
        (3, {"_error": "has a value in a column without a name"}),
        (4, {"_error": "has 4 cells but the header has 3"}),
    ]


def test_a_csv_cell_with_the_nul_character_is_a_row_problem(db, tmp_path):
    # PostgreSQL cannot store NUL in text: without this the import stopped with a DataError.
    path = write_file(
        tmp_path,
        "orders.csv",
        "order_id,customer_id,ordered_at,amount,channel\n"
        "O1,C1,2025-03-01 10:00:00,1.00,web\n"
        "O2\x00,C1,2025-03-01 10:00:00,1.00,web\n",
    )
    assert rows_of(path)[1] == (3, {"_error": "contains the NUL character, which cannot be stored"})
    before = database_snapshot()
    code, out, err = run_import("orders", str(path))
    assert (code, out) == (2, "")
    assert err.splitlines()[-2:] == [
        "row 3, column -: contains the NUL character, which cannot be stored",
        "2 of 2 rows are invalid; nothing was imported",
    ]
    assert database_snapshot() == before


def test_jsonl_rows_are_line_numbers(tmp_path):
    path = write_file(tmp_path, "things.jsonl", '\ufeff{"a": 1}\n\n  \n{"a": "二"}\n[1]\n{"a"\n')
    assert rows_of(path, JSONL) == [
        (1, {"a": 1}),
        (4, {"a": "二"}),
        (5, {"_error": "must be a JSON object"}),
        (6, {"_error": "is not valid JSON (Expecting ':' delimiter at column 5)"}),
    ]


def test_jsonl_that_is_not_utf8_is_refused(db, tmp_path):
    path = write_file(tmp_path, "events.jsonl", '{"type": "访问"}\n', encoding="gbk")
    code, _out, err = run_import("events", str(path))
    assert code == 2
    assert err == f"{path} is not UTF-8 text; save it as UTF-8 and try again\n"


def test_csv_that_is_neither_utf8_nor_gb18030_is_refused_with_exit_code_2(db, tmp_path):
    # 0xd8 0x30 starts a GB18030 four-byte sequence that does not complete: no text encoding
    # Kesheng reads fits, as with a binary file or a spreadsheet saved as .xlsx and renamed.
    path = tmp_path / "orders.csv"
    path.write_bytes(b"order_id,customer_id\nO1,\xd8\x30\xff\xff\n")
    before = database_snapshot()
    code, out, err = run_import("orders", str(path))
    assert (code, out) == (2, "")
    assert err == f"{path} is not UTF-8 text; save it as UTF-8 and try again\n"
    assert database_snapshot() == before


def test_missing_file_is_refused_with_exit_code_2(db, tmp_path):
    code, out, err = run_import("orders", str(tmp_path / "nope.csv"))
    assert (code, out) == (2, "")
    assert err == f"{tmp_path / 'nope.csv'}: no such file\n"


class Recorder(Importer):
    """A kind of file that records what the runner hands it and writes one customer a row."""

    kind = "recorded"
    file_format = CSV
    description = "test rows"

    def check_columns(self, columns):
        return [] if columns == ["customer_id"] else [RowProblem(1, "customer_id", "is missing")]

    def prepare(self, rows):
        prepared = PreparedImport(state=[])
        for row_number, values in rows:
            if values["customer_id"].startswith("bad"):
                prepared.problems.append(RowProblem(row_number, "customer_id", "is bad"))
            else:
                prepared.state.append(values["customer_id"])
        return prepared

    def write(self, prepared):
        for customer_id in prepared.state:
            Customer.objects.create(customer_id=customer_id)
        return WriteCounts(created=len(prepared.state))


@pytest.fixture
def recorder(monkeypatch):
    monkeypatch.setitem(importing._importers, "recorded", Recorder())


def test_registered_importer_is_a_kind_of_the_command(db, recorder, tmp_path):
    path = write_file(tmp_path, "r.csv", "customer_id\nA\nB\n")
    code, out, err = run_import("recorded", str(path), "--json")
    assert (code, err) == (0, "")
    assert json.loads(out) == {
        "kind": "recorded",
        "file": str(path),
        "rows": 2,
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "duplicates": 0,
        "merged": 0,
        "rejected": 0,
        "problems": [],
        "created_references": {},
        "rejected_file": None,
        "dry_run": False,
        "encoding": "utf-8",
    }
    assert sorted(Customer.objects.values_list("customer_id", flat=True)) == ["A", "B"]


def test_dry_run_rolls_back_every_write(db, recorder, tmp_path):
    path = write_file(tmp_path, "r.csv", "customer_id\nA\nbad-1\n")
    code, out, err = run_import("recorded", str(path), "--dry-run", "--skip-invalid")
    assert code == 0
    assert out == (
        "recorded: 1 created, 0 updated, 0 unchanged, 0 duplicates, 0 merged, 1 rejected "
        "(dry run: nothing was written)\n"
    )
    assert err == "row 3, column customer_id: is bad\n1 rows would be rejected\n"
    assert Customer.objects.count() == 0


def test_a_write_that_fails_midway_leaves_nothing_behind(db, recorder, tmp_path):
    path = write_file(tmp_path, "r.csv", "customer_id\nA\nB\nA\n")
    with pytest.raises(Exception, match=r"UNIQUE|unique|duplicate"):
        run_import("recorded", str(path))
    assert Customer.objects.count() == 0


def test_progress_bar_only_on_a_terminal():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    terminal = Terminal()
    assert progress_stream_for(io.StringIO()) is None
    assert progress_stream_for(terminal) is terminal


def test_the_example_files_import_in_order_and_again_change_nothing(db):
    for kind, name in (
        ("customers", "customers.csv"),
        ("orders", "orders.csv"),
        ("events", "events.jsonl"),
    ):
        code, out, err = run_import(kind, str(EXAMPLES / name), "--json")
        assert (code, err) == (0, ""), err
        report = json.loads(out)
        assert (report["created"], report["rejected"]) == (12, 0)
    assert (Customer.objects.count(), Order.objects.count(), Event.objects.count()) == (12, 12, 12)
    before = database_snapshot()
    for kind, name in (
        ("customers", "customers.csv"),
        ("orders", "orders.csv"),
        ("events", "events.jsonl"),
    ):
        code, out, _ = run_import(kind, str(EXAMPLES / name), "--json")
        report = json.loads(out)
        assert (code, report["created"], report["updated"], report["merged"]) == (0, 0, 0, 0)
    assert database_snapshot() == before


def test_console_script_exits_2_on_a_bad_file_and_keeps_the_database(tmp_path):
    kesheng = Path(sys.executable).parent / "kesheng"
    environment = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'kesheng.sqlite3'}",
        "LANGUAGE_CODE": "en",
    }

    def kesheng_run(*arguments):
        return subprocess.run(
            [str(kesheng), *arguments],
            env=environment,
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=120,
        )

    assert kesheng_run("migrate", "--verbosity", "0").returncode == 0
    assert kesheng_run("import", "customers", str(EXAMPLES / "customers.csv")).returncode == 0
    refused = kesheng_run("import", "orders", str(EXAMPLES / "orders-with-errors.csv"))
    assert refused.returncode == 2
    assert refused.stdout == ""
    assert refused.stderr.splitlines()[0] == "row 3, column customer_id: unknown customer 'KH9999'"
    assert len(refused.stderr.splitlines()) == 5
    counted = kesheng_run("import", "orders", str(EXAMPLES / "orders.csv"), "--dry-run", "--json")
    assert json.loads(counted.stdout)["created"] == 12
    helped = kesheng_run("import", "--help")
    assert helped.returncode == 0
    assert "--skip-invalid" in helped.stdout
    assert "{customers,events,feedback,orders,staff}" in helped.stdout
    assert "check every row and report what the import would do" in helped.stdout
    environment["LANGUAGE_CODE"] = "zh-hans"
    chinese = kesheng_run("import", "--help").stdout
    assert "检查每一行并报告导入将做什么，不写入任何数据" in chinese
    assert "check every row" not in chinese
    assert "提供网页界面和 API" in kesheng_run("serve", "--help").stdout


def test_refusal_with_json_gives_the_problems_as_json_too(db, recorder, tmp_path):
    path = write_file(tmp_path, "r.csv", "customer_id\nA\nbad-1\n")
    code, out, err = run_import("recorded", str(path), "--json")
    assert code == 2
    assert json.loads(out) == {
        "kind": "recorded",
        "file": str(path),
        "refused": True,
        "message": "1 of 2 rows are invalid; nothing was imported",
        "problems": [{"row": 3, "column": "customer_id", "reason": "is bad"}],
    }
    assert err.splitlines()[0] == "row 3, column customer_id: is bad"
    assert Customer.objects.count() == 0
