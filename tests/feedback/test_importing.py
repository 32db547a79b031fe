"""kesheng import feedback FILE: CSV and JSONL, exit 2 with row and column, nothing changed on
error, idempotent on source + source_id."""

from kesheng.feedback.models import FeedbackItem
from tests.import_helpers import EXAMPLES, run_import, write_file

HEADER = "source,source_id,text,occurred_at,rating,store,customer_id\n"


def items():
    return sorted(FeedbackItem.objects.values_list("source", "source_id", "text", "store__code"))


def test_the_example_files_import_after_customers_and_orders(
    db, django_capture_on_commit_callbacks
):
    for kind, name in (("customers", "customers.csv"), ("orders", "orders.csv")):
        assert run_import(kind, str(EXAMPLES / name))[0] == 0
    with django_capture_on_commit_callbacks(execute=True):
        code, out, err = run_import("feedback", str(EXAMPLES / "feedback.csv"))
    assert (code, err) == (0, "")
    assert out.startswith("feedback: 6 created, 0 updated, 0 unchanged, 0 duplicates")
    with django_capture_on_commit_callbacks(execute=True):
        code, out, err = run_import("feedback", str(EXAMPLES / "feedback.jsonl"))
    assert (code, err) == (0, "")
    assert out.startswith("feedback: 3 created")
    call = FeedbackItem.objects.get(source="call")
    complaint = FeedbackItem.objects.get(source_id="CF-1007")
    # Linked through the phone and the email of the example customers.
    assert (call.customer.customer_id, complaint.customer.customer_id) == ("KH0001", "KH0002")
    assert call.touchpoint.code == "call_complaint"
    assert FeedbackItem.objects.get(source="social", source_id="wb-4990021").reach == 12800
    assert FeedbackItem.objects.filter(analysis_status="analysed").count() == 9
    assert FeedbackItem.objects.get(source_id="MAIL-3308").detected_language == "en"
    # Again: nothing new.
    code, out, _ = run_import("feedback", str(EXAMPLES / "feedback.csv"))
    assert (code, out.split(",")[3].strip()) == (0, "6 duplicates")
    assert FeedbackItem.objects.count() == 9


def test_bad_rows_exit_2_with_row_and_column_and_change_nothing(stores, tmp_path):
    path = write_file(
        tmp_path,
        "feedback.csv",
        HEADER + "review,r1,很好吃,2025-03-01 10:00:00,5,sh01,\n"
        "review,r2,,2025-03-01,4,sh01,\n"
        "survey,r3,不错,,,,\n"
        "social,r4,一般,yesterday,six,nowhere,\n"
        "call,r5,请回电,,,,NOBODY\n",
    )
    code, out, err = run_import("feedback", str(path))
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        "row 3, column text: is required",
        "row 4, column source: 'survey' is not one of review, social, call, email, complaint",
        "row 5, column occurred_at: 'yesterday' is not a date and time (use ISO 8601, e.g. "
        "2025-03-01T14:30:00+08:00)",
        "row 6, column customer_id: no customer has the id 'NOBODY'",
        "4 of 5 rows are invalid; nothing was imported",
    ]
    assert FeedbackItem.objects.count() == 0


def test_a_bad_jsonl_line_is_named_by_its_line(stores, tmp_path):
    path = write_file(
        tmp_path,
        "feedback.jsonl",
        '{"source": "review", "source_id": "a", "text": "好"}\n'
        "{not json}\n"
        '{"source": "review", "source_id": "b", "text": "好", "rating": true}\n',
    )
    code, out, err = run_import("feedback", str(path))
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        "row 2, column -: is not valid JSON (Expecting property name enclosed in double quotes "
        "at column 2)",
        "row 3, column rating: must be a number",
        "2 of 3 rows are invalid; nothing was imported",
    ]
    assert FeedbackItem.objects.count() == 0


def test_an_unknown_column_is_refused_in_the_header(stores, tmp_path):
    path = write_file(tmp_path, "feedback.csv", "source,source_id,body\nreview,r1,好\n")
    code, _, err = run_import("feedback", str(path))
    assert code == 2
    assert err.splitlines() == [
        "row 1, column body: is not a column of this file (known: source, source_id, text, "
        "occurred_at, rating, store, customer_id, email, phone, channel, touchpoint, product, "
        "language, author, reach, url, platform)",
        "row 1, column text: is missing from the header",
        "the header (row 1) is wrong; nothing was imported",
    ]
    assert FeedbackItem.objects.count() == 0


def test_skip_invalid_keeps_the_good_rows(stores, tmp_path):
    path = write_file(
        tmp_path, "feedback.csv", HEADER + "review,r1,很好吃,,,sh01,\nreview,r2,,,,,\n"
    )
    code, out, _ = run_import("feedback", str(path), "--skip-invalid")
    assert code == 0
    assert "1 created" in out
    assert items() == [("review", "r1", "很好吃", "sh01")]
