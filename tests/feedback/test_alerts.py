"""Feedback alerts end to end: spikes stored once, emailed once to subscribed staff through a
real SMTP server, listed by the command and on the inbox and dashboard."""

import json
from datetime import datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from kesheng.commerce.actions import grant_store_access
from kesheng.feedback.actions import record_feedback
from kesheng.feedback.alerting import (
    detect_feedback_alerts,
    email_new_alerts,
    set_alert_subscription,
)
from kesheng.feedback.models import FeedbackAlert, FeedbackItem
from tests.messaging.smtp import running_smtp_server
from tests.staff_fixtures import STAFF_PASSWORD, create_staff_user

ZONE = ZoneInfo("Asia/Shanghai")
# A Sunday evening: this week is 2026-11-16 (Monday) to now, 6.75 days.
NOW = datetime(2026, 11, 22, 18, 0, tzinfo=ZONE)
MONDAY = datetime(2026, 11, 16, 9, 0, tzinfo=ZONE)


def _items(store: str, start: datetime, count: int, negative: int, prefix: str) -> None:
    record_feedback(
        items=[
            {
                "source": "review",
                "source_id": f"{prefix}-{index}",
                "text": "服务很差" if index < negative else "还不错",
                "store": store,
                "occurred_at": (start + timedelta(minutes=index)).isoformat(),
            }
            for index in range(count)
        ]
    )
    ids = list(
        FeedbackItem.objects.filter(source_id__startswith=f"{prefix}-").values_list(
            "pk", "source_id"
        )
    )
    negatives = [pk for pk, source_id in ids if int(source_id.rsplit("-", 1)[1]) < negative]
    FeedbackItem.objects.filter(source_id__startswith=f"{prefix}-").update(sentiment="positive")
    FeedbackItem.objects.filter(pk__in=negatives).update(sentiment="negative")


@pytest.fixture
def steady_baseline(stores):
    """Both stores: 25 items a week for the 8 weeks before this one, 3 negative in each."""
    for week in range(1, 9):
        for code in ("sh01", "bj01"):
            _items(code, MONDAY - timedelta(weeks=week), 25, 3, f"{code}-w{week}")


def test_a_negative_spike_at_one_store_raises_one_alert(steady_baseline):
    _items("sh01", MONDAY, 25, 15, "sh01-now")  # 60 % negative against 10 %
    _items("bj01", MONDAY, 4, 0, "bj01-now")
    created = detect_feedback_alerts(now=NOW)
    assert [(a.kind, a.scope_kind, a.scope_key) for a in created] == [
        ("negative_share", "store", "sh01")
    ]
    alert = created[0]
    assert (alert.n, alert.baseline_n) == (25, 200)
    assert alert.observed == pytest.approx(0.6)
    assert alert.expected == pytest.approx(0.12)
    assert alert.p_value < 0.001
    assert str(alert.period_start) == "2026-11-16"
    assert str(alert.period_end) == "2026-11-22"


def test_the_same_spike_is_alerted_once_however_often_the_check_runs(steady_baseline):
    _items("sh01", MONDAY, 25, 15, "sh01-now")
    assert len(detect_feedback_alerts(now=NOW)) == 1
    _items("sh01", MONDAY + timedelta(days=2), 5, 5, "sh01-later")
    assert detect_feedback_alerts(now=NOW + timedelta(hours=5)) == []
    assert FeedbackAlert.objects.count() == 1


def test_a_steady_week_raises_nothing(steady_baseline):
    _items("sh01", MONDAY, 4, 0, "sh01-now")
    assert detect_feedback_alerts(now=NOW) == []


def test_a_volume_spike_is_alerted(steady_baseline):
    _items("bj01", MONDAY, 50, 6, "bj01-now")  # 50 this week against 25 a week
    created = detect_feedback_alerts(now=NOW)
    assert [(a.kind, a.scope_key) for a in created] == [("volume", "bj01")]
    assert created[0].expected == pytest.approx(200 / 8 * 6.75 / 7)


def test_category_alerts_read_the_categories_field(steady_baseline):
    FeedbackItem.objects.update(categories=["delivery"])
    _items("bj01", MONDAY, 30, 20, "bj01-now")
    FeedbackItem.objects.filter(source_id__startswith="bj01-now").update(categories=["delivery"])
    scopes = {(a.scope_kind, a.scope_key) for a in detect_feedback_alerts(now=NOW)}
    assert ("category", "delivery") in scopes
    assert ("store", "bj01") in scopes


def test_alerts_are_emailed_once_to_subscribed_staff_through_smtp(steady_baseline, settings):
    manager = create_staff_user("cx.zhang", role="cx_manager")
    manager.email = "zhang@example.com"
    manager.save()
    other = create_staff_user("cx.wu", role="cx_manager")
    other.email = "wu@example.com"
    other.save()
    store_manager = create_staff_user("sm.bj", role="store_manager")
    store_manager.email = "bj@example.com"
    store_manager.save()
    grant_store_access(user=store_manager, store_codes=["bj01"])
    set_alert_subscription(user=manager, subscribed=True)
    set_alert_subscription(user=store_manager, subscribed=True)
    _items("sh01", MONDAY, 25, 15, "sh01-now")
    detect_feedback_alerts(now=NOW)
    with running_smtp_server(settings) as smtp:
        assert email_new_alerts(now=NOW) == 1
        assert email_new_alerts(now=NOW) == 0
    # The store manager of bj01 gets nothing about sh01; the unsubscribed manager nothing.
    assert [envelope.rcpt_tos for envelope in smtp.envelopes] == [["zhang@example.com"]]
    body = smtp.messages[0].get_body(preferencelist=("plain",)).get_content()
    assert "上海一店" in body
    assert "60 %" in body and "12 %" in body
    assert FeedbackAlert.objects.get().emailed_at is not None


def test_a_refusing_mail_server_leaves_the_alert_to_send_again(steady_baseline, settings):
    manager = create_staff_user("cx.zhang", role="cx_manager")
    manager.email = "zhang@example.com"
    manager.save()
    set_alert_subscription(user=manager, subscribed=True)
    _items("sh01", MONDAY, 25, 15, "sh01-now")
    detect_feedback_alerts(now=NOW)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2
    with pytest.raises(OSError):
        email_new_alerts(now=NOW)
    assert FeedbackAlert.objects.get().emailed_at is None


def test_the_command_stores_and_lists_this_weeks_alerts_as_json(steady_baseline, monkeypatch):
    from django.utils import timezone

    _items("sh01", MONDAY, 25, 15, "sh01-now")
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    out = StringIO()
    call_command("feedback", "alerts", "--json", "--no-email", stdout=out)
    rows = json.loads(out.getvalue())["alerts"]
    assert [(r["kind"], r["scope_key"], r["n"], r["new"]) for r in rows] == [
        ("negative_share", "sh01", 25, True)
    ]
    out = StringIO()
    call_command("feedback", "alerts", "--json", "--no-email", stdout=out)
    assert json.loads(out.getvalue())["alerts"][0]["new"] is False


def test_the_inbox_shows_alerts_and_lets_staff_subscribe(client, steady_baseline, monkeypatch):
    from django.utils import timezone

    _items("sh01", MONDAY, 25, 15, "sh01-now")
    detect_feedback_alerts(now=NOW)
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    user = create_staff_user("cx.zhang", role="cx_manager")
    client.login(username="cx.zhang", password=STAFF_PASSWORD)
    page = client.get("/feedback/")
    assert page.status_code == 200
    assert "上海一店" in page.content.decode()
    assert 'id="feedback-alerts"' in page.content.decode()
    response = client.post("/feedback/alerts/subscription/", {"subscribed": "1"})
    assert response.status_code == 302
    assert user.feedback_alert_subscription is not None
    client.post("/feedback/alerts/subscription/", {"subscribed": "0"})
    user.refresh_from_db()
    assert not type(user).objects.filter(pk=user.pk, feedback_alert_subscription__isnull=False)


def test_the_dashboard_shows_the_alerts_panel(client, steady_baseline, monkeypatch):
    from django.utils import timezone

    _items("sh01", MONDAY, 25, 15, "sh01-now")
    detect_feedback_alerts(now=NOW)
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    create_staff_user("cx.zhang", role="cx_manager")
    client.login(username="cx.zhang", password=STAFF_PASSWORD)
    page = client.get("/reports/")
    assert page.status_code == 200
    assert 'id="feedback-alerts"' in page.content.decode()
    assert "上海一店" in page.content.decode()


def test_a_store_manager_sees_only_their_stores_alerts(client, steady_baseline, monkeypatch):
    from django.utils import timezone

    _items("sh01", MONDAY, 25, 15, "sh01-now")
    detect_feedback_alerts(now=NOW)
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    manager = create_staff_user("sm.bj", role="store_manager")
    grant_store_access(user=manager, store_codes=["bj01"])
    client.login(username="sm.bj", password=STAFF_PASSWORD)
    page = client.get("/feedback/")
    assert "上海一店" not in page.content.decode()


def test_the_hourly_task_stores_and_emails_new_spikes(steady_baseline, settings, monkeypatch):
    from django.utils import timezone

    from kesheng.feedback.tasks import check_alerts

    manager = create_staff_user("cx.zhang", role="cx_manager")
    manager.email = "zhang@example.com"
    manager.save()
    set_alert_subscription(user=manager, subscribed=True)
    _items("sh01", MONDAY, 25, 15, "sh01-now")
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    with running_smtp_server(settings) as smtp:
        assert check_alerts() == 1
        assert check_alerts() == 0
    assert len(smtp.messages) == 1
    assert settings.CELERY_BEAT_SCHEDULE["feedback-check-alerts"]["task"] == (
        "kesheng.feedback.check_alerts"
    )
