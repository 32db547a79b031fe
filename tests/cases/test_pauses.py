"""The case page's explanation of pauses: each wait on the customer, the working time it
moved the resolution deadline on, and whether the customer wrote meanwhile."""

from datetime import UTC, datetime, timedelta

from django.utils import timezone

from kesheng.cases.actions import change_case_status, open_case
from kesheng.cases.pauses import Pause, pause_periods
from kesheng.cases.queries import explain_pauses, list_case_history
from kesheng.feedback.actions import record_feedback
from kesheng.feedback.models import FeedbackItem
from tests.staff_fixtures import STAFF_PASSWORD, create_staff_user

T = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WAITING = "waiting_on_customer"


def test_pause_periods_pair_each_wait_with_its_end():
    changes = [
        (T, "new", "acknowledged"),
        (T + timedelta(hours=1), "acknowledged", WAITING),
        (T + timedelta(hours=3), WAITING, "in_progress"),
        (T + timedelta(hours=4), "in_progress", WAITING),
    ]
    assert pause_periods(changes, WAITING) == [
        Pause(T + timedelta(hours=1), T + timedelta(hours=3)),
        Pause(T + timedelta(hours=4), None),
    ]
    assert pause_periods([(T, "new", "acknowledged")], WAITING) == []


def _review(source_id: str, at: datetime) -> dict:
    return {
        "source": "review",
        "source_id": source_id,
        "text": "请问进度如何",
        "rating": 4,
        "customer_id": "C001",
        "occurred_at": at.isoformat(),
    }


def test_the_case_page_lists_pauses_and_flags_one_where_the_customer_wrote(
    client, customer, stores
):
    opened = timezone.now().replace(microsecond=0) - timedelta(hours=10)
    case = open_case(category="complaint", customer=customer, summary="退款", now=opened)
    for hours, status in ((1, "acknowledged"), (2, WAITING), (5, "in_progress"), (6, WAITING)):
        change_case_status(
            case=case, status=status, actor=None, now=opened + timedelta(hours=hours)
        )
    record_feedback(
        items=[
            _review("during", opened + timedelta(hours=3)),
            _review("between", opened + timedelta(hours=5, minutes=30)),
        ]
    )
    during = FeedbackItem.objects.get(source_id="during")
    now = opened + timedelta(hours=8)
    case.refresh_from_db()
    assert explain_pauses(case, list_case_history(case), now=now) == [
        {
            "start": opened + timedelta(hours=2),
            "end": opened + timedelta(hours=5),
            "working_minutes": 180,
            "customer_wrote": [
                {"kind": "feedback", "id": during.pk, "at": opened + timedelta(hours=3)}
            ],
        },
        {
            "start": opened + timedelta(hours=6),
            "end": None,
            "working_minutes": 120,
            "customer_wrote": [],
        },
    ]
    create_staff_user("agent.li")
    client.login(username="agent.li", password=STAFF_PASSWORD)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "暂停期间客户有来信：" in page
    assert f"反馈 #{during.pk}" in page
    assert "首次响应：计时从不暂停。" in page


def test_a_case_that_never_waited_says_so(client, customer):
    case = open_case(category="complaint", customer=customer, summary="x")
    assert explain_pauses(case, list_case_history(case)) == []
    create_staff_user("agent.li")
    client.login(username="agent.li", password=STAFF_PASSWORD)
    assert "解决：从未暂停。" in client.get(f"/cases/{case.pk}/").content.decode()
