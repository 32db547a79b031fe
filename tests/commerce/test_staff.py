"""Staff members who serve customers: the action, and ``kesheng import staff FILE``."""

import pytest

from kesheng.commerce.actions import save_staff_member, save_store
from kesheng.commerce.models import StaffMember
from kesheng.core.errors import InvalidInput
from kesheng.core.models import DomainEvent
from tests.import_helpers import EXAMPLES, run_import, write_file


@pytest.fixture
def stores(db):
    return {
        code: save_store(code=code, name_zh=name)
        for code, name in (
            ("sh-jingan", "上海静安店"),
            ("bj-chaoyang", "北京朝阳店"),
            ("nj-xinjiekou", "南京新街口店"),
        )
    }


def staff_rows():
    return sorted(StaffMember.objects.values_list("code", "name", "store__code", "is_active"))


def test_save_staff_member_creates_then_updates_and_emits_only_on_change(stores):
    member = save_staff_member(code="SH-JA-01", name=" 陈静 ", store=stores["sh-jingan"])
    assert (member.code, member.name, member.store.code, member.is_active) == (
        "SH-JA-01",
        "陈静",
        "sh-jingan",
        True,
    )
    save_staff_member(code="SH-JA-01", name="陈静", store=stores["sh-jingan"])
    save_staff_member(code="SH-JA-01", name="陈静", store=stores["bj-chaoyang"], is_active=False)
    assert staff_rows() == [("SH-JA-01", "陈静", "bj-chaoyang", False)]
    assert list(
        DomainEvent.objects.filter(name="staff_member.saved").values_list("payload", flat=True)
    ) == [{"code": "SH-JA-01", "created": True}, {"code": "SH-JA-01", "created": False}]


def test_staff_codes_are_case_sensitive(stores):
    save_staff_member(code="A01", name="甲")
    save_staff_member(code="a01", name="乙")
    assert staff_rows() == [("A01", "甲", None, True), ("a01", "乙", None, True)]


def test_save_staff_member_refuses_a_bad_code_and_an_empty_name(stores):
    with pytest.raises(InvalidInput) as refused:
        save_staff_member(code="陈 01", name=" ")
    assert [(error.field, error.reason) for error in refused.value.errors] == [
        ("code", "'陈 01' is not a staff code (letters, digits, _ or -, up to 40)"),
        ("name", "is required"),
    ]
    assert StaffMember.objects.count() == 0


def test_imports_the_example_file(stores):
    code, out, err = run_import("staff", str(EXAMPLES / "staff.csv"))
    assert (code, err) == (0, "")
    assert out == "staff: 6 created, 0 updated, 0 unchanged, 0 duplicates, 0 merged, 0 rejected\n"
    assert staff_rows() == [
        ("BJ-CY-01", "赵磊", "bj-chaoyang", True),
        ("BJ-CY-02", "孙丽", "bj-chaoyang", False),
        ("HQ-01", "吴敏", None, True),
        ("NJ-XJK-01", "周婷", "nj-xinjiekou", True),
        ("SH-JA-01", "陈静", "sh-jingan", True),
        ("SH-JA-02", "刘洋", "sh-jingan", True),
    ]
    assert DomainEvent.objects.filter(name="staff_members.imported").count() == 1
    code, out, err = run_import("staff", str(EXAMPLES / "staff.csv"))
    assert (code, err) == (0, "")
    assert out == "staff: 0 created, 0 updated, 6 unchanged, 0 duplicates, 0 merged, 0 rejected\n"
    assert DomainEvent.objects.filter(name="staff_members.imported").count() == 1


def test_an_import_updates_and_never_blanks_a_store_or_active_flag(stores, tmp_path):
    save_staff_member(code="SH-JA-01", name="陈静", store=stores["sh-jingan"], is_active=False)
    path = write_file(
        tmp_path,
        "staff.csv",
        "Code,Name,Store,Active\nSH-JA-01,陈静（店长）,,\nSH-JA-02,刘洋,bj-chaoyang,yes\n",
    )
    code, out, err = run_import("staff", str(path))
    assert (code, err) == (0, "")
    assert out == "staff: 1 created, 1 updated, 0 unchanged, 0 duplicates, 0 merged, 0 rejected\n"
    assert staff_rows() == [
        ("SH-JA-01", "陈静（店长）", "sh-jingan", False),
        ("SH-JA-02", "刘洋", "bj-chaoyang", True),
    ]


def test_bad_rows_exit_2_with_row_and_column_and_change_nothing(stores, tmp_path):
    save_staff_member(code="SH-JA-01", name="陈静", store=stores["sh-jingan"])
    before = staff_rows()
    events = DomainEvent.objects.count()
    path = write_file(
        tmp_path,
        "staff.csv",
        "code,name,store,active\n"
        "SH-JA-01,陈静二,sh-jingan,是\n"
        "SH JA 02,刘洋,sh-jingan,\n"
        "SH-JA-03,,sh-jingn,maybe\n"
        "SH-JA-01,陈静三,,\n"
        ",无名,,\n",
    )
    code, out, err = run_import("staff", str(path))
    assert code == 2
    assert out == ""
    assert err.splitlines() == [
        "row 3, column code: 'SH JA 02' is not a staff code (letters, digits, _ or -, up to 40)",
        "row 4, column name: is required",
        "row 4, column store: unknown store 'sh-jingn'",
        "row 4, column active: 'maybe' is not yes or no (or 是/否)",
        "row 5, column code: 'SH-JA-01' is also in row 2",
        "row 6, column code: is required",
        "4 of 5 rows are invalid; nothing was imported",
    ]
    assert staff_rows() == before
    assert DomainEvent.objects.count() == events


def test_a_header_without_name_is_refused(stores, tmp_path):
    path = write_file(tmp_path, "staff.csv", "code,store,shift\nSH-JA-01,sh-jingan,早班\n")
    code, out, err = run_import("staff", str(path))
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        "row 1, column shift: is not a column of this file (known: code, name, store, active)",
        "row 1, column name: is missing from the header",
        "the header (row 1) is wrong; nothing was imported",
    ]
    assert StaffMember.objects.count() == 0


def test_the_example_files_import_in_order_on_an_empty_database(db):
    for kind, name in (("customers", "customers.csv"), ("orders", "orders.csv")):
        assert run_import(kind, str(EXAMPLES / name))[0] == 0
    code, out, err = run_import("staff", str(EXAMPLES / "staff.csv"))
    assert (code, err) == (0, "")
    assert out.startswith("staff: 6 created")
    assert StaffMember.objects.filter(store__isnull=False).count() == 5
