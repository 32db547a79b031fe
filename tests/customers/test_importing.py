import csv
from datetime import UTC, date, datetime

from kesheng.commerce.actions import record_orders
from kesheng.commerce.models import Order
from kesheng.customers.models import Consent, Customer, CustomerMerge, Identity
from kesheng.customers.queries import get_customer
from tests.import_helpers import EXAMPLES, database_snapshot, run_import, write_file

HEADER = "customer_id,name,email,phone,gender,birthday,city,signed_up_at\n"


def test_imports_customers_with_identities_tags_consents_and_attributes(db, tmp_path):
    path = write_file(
        tmp_path,
        "customers.csv",
        "customer_id,name,email,phone,gender,birthday,city,signed_up_at,wechat_openid,"
        "external_ids,occupation,income_band,tags,consent_sms_marketing,"
        "consent_email_surveys,attr_member_card\n"
        "KH0001,王芳,Wang.Fang@Example.com,138 0013 8000,女,1988-04-12,上海,"
        "2023-02-14 10:20:00,oWx_01,pos:88812,教师,upper_middle,会员|亲子,是,no,8800123401\n"
        "KH0002,李伟,,13912345678,M,,北京,,,,,,vip;会员,,,\n",
    )
    code, out, err = run_import("customers", str(path))
    assert (code, err) == (0, "")
    assert out == (
        "customers: 2 created, 0 updated, 0 unchanged, 0 duplicates, 0 merged, 0 rejected\n"
    )
    wang = Customer.objects.get(customer_id="KH0001")
    assert (wang.name, wang.gender, wang.birthday, wang.city) == (
        "王芳",
        "female",
        date(1988, 4, 12),
        "上海",
    )
    assert wang.signed_up_at == datetime(2023, 2, 14, 2, 20, tzinfo=UTC)
    assert (wang.occupation, wang.income_band) == ("教师", "upper_middle")
    assert wang.attributes == {"member_card": "8800123401"}
    assert set(wang.identities.values_list("kind", "value")) == {
        ("customer_id", "KH0001"),
        ("email", "wang.fang@example.com"),
        ("phone", "+8613800138000"),
        ("wechat_openid", "oWx_01"),
        ("external", "pos:88812"),
    }
    assert sorted(wang.tags.values_list("name", flat=True)) == ["亲子", "会员"]
    assert sorted(
        Consent.objects.filter(customer=wang).values_list("channel", "purpose", "is_granted")
    ) == [("email", "surveys", False), ("sms", "marketing", True)]
    li = Customer.objects.get(customer_id="KH0002")
    assert (li.gender, li.birthday, li.attributes) == ("male", None, {})
    assert sorted(li.tags.values_list("name", flat=True)) == ["vip", "会员"]


def test_bad_rows_exit_2_with_each_problem_and_change_nothing(make_customer, tmp_path):
    make_customer("KH0001", name="王芳", email="wang@example.com")
    path = write_file(
        tmp_path,
        "customers.csv",
        HEADER
        + "KH0001,王芳改名,wang@example.com,,,,,\n"
        + "KH0002,李伟,not-an-email,12,robot,1990-13-01,北京,\n"
        + ",无名,,,,,,\n"
        + "KH0004,刘洋,,,,,,yesterday\n",
    )
    before = database_snapshot()
    code, _out, err = run_import("customers", str(path))
    assert code == 2
    assert err.splitlines() == [
        "row 3, column birthday: '1990-13-01' is not a date (use YYYY-MM-DD)",
        "row 3, column email: 'not-an-email' is not an email address",
        "row 3, column phone: '12' is not a phone number",
        "row 3, column gender: must be one of female, male, other",
        "row 4, column customer_id: "
        "a customer needs at least one of customer_id, email, phone, wechat_openid",
        "row 5, column signed_up_at: 'yesterday' is not a date and time "
        "(use ISO 8601, e.g. 2025-03-01T14:30:00+08:00)",
        "3 of 4 rows are invalid; nothing was imported",
    ]
    assert database_snapshot() == before


def test_every_bad_cell_of_a_row_is_named(db, tmp_path):
    path = write_file(
        tmp_path,
        "customers.csv",
        "customer_id,email,phone,gender,consent_sms_marketing\n"
        "KH0002,not-an-email,12,robot,maybe\n",
    )
    code, _, err = run_import("customers", str(path))
    assert code == 2
    assert err.splitlines() == [
        "row 2, column consent_sms_marketing: 'maybe' is not yes or no (or 是/否)",
        "row 2, column email: 'not-an-email' is not an email address",
        "row 2, column phone: '12' is not a phone number",
        "row 2, column gender: must be one of female, male, other",
        "1 of 1 rows are invalid; nothing was imported",
    ]
    assert Customer.objects.count() == 0


def test_unknown_column_is_refused_unless_it_is_an_attribute(db, tmp_path):
    path = write_file(tmp_path, "customers.csv", "customer_id,emial,attr_vip_level\nKH1,x,3\n")
    code, _, err = run_import("customers", str(path))
    assert code == 2
    assert err.splitlines()[0] == (
        "row 1, column emial: is not a customer column (see docs/import-formats.md; "
        "name it attr_emial to keep it as an attribute)"
    )
    assert Customer.objects.count() == 0


def test_row_matching_an_existing_profile_updates_it(make_customer, tmp_path):
    existing = make_customer("KH0001", name="王芳", email="wang@example.com", city="上海")
    path = write_file(
        tmp_path,
        "customers.csv",
        HEADER + ",,WANG@example.com,,,,杭州,\nKH0002,李伟,li@example.com,,,,北京,\n",
    )
    code, out, _ = run_import("customers", str(path))
    assert code == 0
    assert out.startswith("customers: 1 created, 1 updated, 0 unchanged, 0 duplicates, ")
    assert Customer.objects.get(pk=existing.pk).city == "杭州"
    assert Customer.objects.count() == 2


def test_rows_sharing_an_identity_in_one_file_become_one_customer(db, tmp_path):
    path = write_file(
        tmp_path,
        "customers.csv",
        HEADER + "KH0001,王芳,wang@example.com,,,,上海,\n,,wang@example.com,13800138000,,,,\n",
    )
    code, out, _ = run_import("customers", str(path))
    assert code == 0
    assert out.startswith("customers: 1 created, 1 updated, 0 unchanged, ")
    customer = Customer.objects.get()
    assert customer.customer_id == "KH0001"
    assert customer.identities.filter(kind="phone", value="+8613800138000").exists()


def test_row_revealing_two_profiles_are_one_person_merges_them(make_customer, tmp_path):
    by_phone = make_customer("KH0001", name="王芳", phone="13800138000")
    make_customer("KH0002", email="wang@example.com", city="杭州")
    record_orders(
        items=[
            {
                "order_id": "O1",
                "customer_id": "KH0002",
                "ordered_at": "2025-01-02T10:00:00+08:00",
                "amount": "99.50",
                "channel": "web",
            }
        ]
    )
    path = write_file(
        tmp_path, "customers.csv", "email,phone\nwang@example.com,+86 138-0013-8000\n"
    )
    code, out, err = run_import("customers", str(path))
    assert (code, err) == (0, "")
    assert out == (
        "customers: 0 created, 1 updated, 0 unchanged, 0 duplicates, 1 merged, 0 rejected\n"
    )
    assert list(Customer.objects.values_list("pk", flat=True)) == [by_phone.pk]
    assert Order.objects.get(order_id="O1").customer_id == by_phone.pk
    assert get_customer("KH0002").pk == by_phone.pk
    assert CustomerMerge.objects.get().merged_customer_id == "KH0002"
    assert Customer.objects.get().city == "杭州"


def test_reimporting_the_same_file_changes_nothing(db):
    run_import("customers", str(EXAMPLES / "customers.csv"))
    before = database_snapshot()
    code, out, err = run_import("customers", str(EXAMPLES / "customers.csv"))
    assert (code, err) == (0, "")
    assert out == (
        "customers: 0 created, 0 updated, 12 unchanged, 0 duplicates, 0 merged, 0 rejected\n"
    )
    assert database_snapshot() == before


def test_bulk_created_customers_equal_upserted_ones(make_customer, tmp_path):
    """The bulk path (new people) and upsert_customer store the same profile."""
    row = "KH0009,吴娜,wuna@example.com,15900005555,female,2000-02-29,武汉,2025-01-18 15:15:00"
    path = write_file(tmp_path, "customers.csv", HEADER + row + "\n")
    run_import("customers", str(path))
    bulk = Customer.objects.get(customer_id="KH0009")
    bulk_values = (
        bulk.name,
        bulk.gender,
        bulk.birthday,
        bulk.city,
        bulk.signed_up_at,
        sorted(bulk.identities.values_list("kind", "value", "source")),
    )
    Customer.objects.all().delete()
    # The same row again, now alongside a duplicate so it cannot take the bulk path.
    path.write_text(HEADER + row + "\n" + row + "\n", encoding="utf-8")
    run_import("customers", str(path))
    upserted = Customer.objects.get(customer_id="KH0009")
    assert bulk_values == (
        upserted.name,
        upserted.gender,
        upserted.birthday,
        upserted.city,
        upserted.signed_up_at,
        sorted(upserted.identities.values_list("kind", "value", "source")),
    )


def test_imports_a_gbk_file_as_chinese_excel_saves_it(db, tmp_path):
    path = write_file(
        tmp_path,
        "customers.csv",
        "customer_id,name,city\r\n" + "KH0001,王芳,上海\r\nKH0002,欧阳娜娜,乌鲁木齐\r\n",
        encoding="gbk",
    )
    code, out, err = run_import("customers", str(path), "--json")
    assert (code, err) == (0, "")
    assert '"encoding": "gb18030"' in out
    assert dict(Customer.objects.values_list("customer_id", "city")) == {
        "KH0001": "上海",
        "KH0002": "乌鲁木齐",
    }
    assert Customer.objects.get(customer_id="KH0002").name == "欧阳娜娜"


def test_skip_invalid_writes_rejected_customers_with_reasons(db, tmp_path):
    path = write_file(
        tmp_path,
        "customers.csv",
        "customer_id,name,email\nKH0001,王芳,wang@example.com\nKH0002,李伟,li@\n",
    )
    code, _out, _err = run_import("customers", str(path), "--skip-invalid")
    assert code == 0
    assert list(Customer.objects.values_list("customer_id", flat=True)) == ["KH0001"]
    with (tmp_path / "customers.csv.rejected.csv").open(encoding="utf-8-sig") as handle:
        assert list(csv.reader(handle)) == [
            ["customer_id", "name", "email", "reason"],
            ["KH0002", "李伟", "li@", "email: 'li@' is not an email address"],
        ]
    assert Identity.objects.filter(value="li@").count() == 0


def test_reimport_with_one_changed_row_updates_only_that_customer(db, tmp_path):
    source = (EXAMPLES / "customers.csv").read_text(encoding="utf-8")
    run_import("customers", str(EXAMPLES / "customers.csv"))
    changed = write_file(
        tmp_path,
        "customers.csv",
        source.replace(
            "KH0004,刘洋,liu.yang@example.com,15800001111,male,1990-01-30,深圳",
            "KH0004,刘洋,liu.yang@example.com,15800001111,male,1990-01-30,广州",
        ),
    )
    code, out, _ = run_import("customers", str(changed))
    assert code == 0
    assert out.startswith("customers: 0 created, 1 updated, 11 unchanged, 0 duplicates, ")
    assert Customer.objects.get(customer_id="KH0004").city == "广州"


def test_known_customer_merged_by_an_earlier_row_is_resolved_in_file_order(make_customer, tmp_path):
    first = make_customer("KH0001", phone="13800138000")
    make_customer("KH0002", email="wang@example.com", city="杭州")
    path = write_file(
        tmp_path,
        "customers.csv",
        "customer_id,email,phone,city\n,wang@example.com,13800138000,\nKH0002,,,杭州\n",
    )
    code, out, _ = run_import("customers", str(path))
    assert code == 0
    assert out.startswith("customers: 0 created, 1 updated, 1 unchanged, 0 duplicates, 1 merged")
    assert list(Customer.objects.values_list("pk", "city")) == [(first.pk, "杭州")]
