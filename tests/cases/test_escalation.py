"""The SLA check warns the assignee at 75 % of a deadline and escalates a breach to the team
lead, each once, recorded in the history and emailed to a real local SMTP server."""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User

from kesheng.cases.actions import (
    change_case_status,
    check_sla_breaches,
    open_case,
    warn_before_deadlines,
)
from kesheng.cases.models import Team
from kesheng.cases.tasks import check_sla
from tests.messaging.smtp import text_part
from tests.staff_fixtures import create_staff_user

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 9, day, hour, minute, tzinfo=SHANGHAI)


def _staff(username: str) -> User:
    user = create_staff_user(username)
    user.email = f"{username}@example.com"
    user.save(update_fields=["email"])
    return user


def _team_case(stores, customer):
    lead, agent = _staff("lead.zhou"), _staff("agent.li")
    team = Team.objects.create(name="上海客服", lead=lead)
    team.members.set([agent])
    team.stores.set([stores["sh01"]])
    # Default terms, around the clock: first response 24 h (warning at 18 h), P3 resolution
    # 72 h (warning at 54 h).
    case = open_case(
        category="complaint",
        customer=customer,
        summary="s",
        store_id=stores["sh01"].pk,
        now=at(7, 9),
    )
    return case, lead, agent


def test_warns_the_assignee_once_at_75_percent(
    stores, customer, smtp_server, django_capture_on_commit_callbacks
):
    case, _lead, _agent = _team_case(stores, customer)
    assert (case.first_response_warn_at, case.resolution_warn_at) == (at(8, 3), at(9, 15))
    with django_capture_on_commit_callbacks(execute=True):
        assert warn_before_deadlines(now=at(8, 2)) == {"first_response": 0, "resolution": 0}
        assert warn_before_deadlines(now=at(8, 4)) == {"first_response": 1, "resolution": 0}
        assert warn_before_deadlines(now=at(8, 5)) == {"first_response": 0, "resolution": 0}
    case.refresh_from_db()
    assert case.first_response_warned_at == at(8, 4)
    warned = case.events.get(kind="warned")
    assert (warned.to_value, warned.data) == (
        "first_response",
        {"due": "2026-09-08T01:00:00+00:00", "emailed": True},
    )
    assert [message["To"] for message in smtp_server.messages] == ["agent.li@example.com"]
    assert smtp_server.messages[0]["Subject"] == (
        f"Case #{case.pk}: the first response deadline is close"
    )
    assert f"http://testserver/cases/{case.pk}/" in text_part(smtp_server.messages[0])


def test_no_warning_once_answered_or_past_the_deadline(stores, customer):
    case, _lead, agent = _team_case(stores, customer)
    change_case_status(case=case, status="acknowledged", actor=agent, now=at(7, 10))
    assert warn_before_deadlines(now=at(8, 4)) == {"first_response": 0, "resolution": 0}
    # Past the resolution deadline without a warning: the breach comes, not a late warning.
    assert warn_before_deadlines(now=at(10, 10)) == {"first_response": 0, "resolution": 0}


def test_a_breach_escalates_to_the_team_lead_once(
    stores, customer, smtp_server, django_capture_on_commit_callbacks
):
    case, lead, _agent = _team_case(stores, customer)
    with django_capture_on_commit_callbacks(execute=True):
        assert check_sla_breaches(now=at(8, 10)) == {"first_response": 1, "resolution": 0}
        assert check_sla_breaches(now=at(8, 11)) == {"first_response": 0, "resolution": 0}
    case.refresh_from_db()
    assert (case.escalated_at, case.escalated_to) == (at(8, 10), lead)
    escalations = list(case.events.filter(kind="escalated").values_list("to_value", "data"))
    assert escalations == [
        (str(lead.pk), {"deadline": "first_response", "lead": "lead.zhou", "emailed": True})
    ]
    assert [message["To"] for message in smtp_server.messages] == ["lead.zhou@example.com"]
    assert smtp_server.messages[0]["Subject"] == (
        f"Escalated: case #{case.pk} missed its first response deadline"
    )
    assert "Assignee: agent.li." in text_part(smtp_server.messages[0])


def test_the_periodic_task_warns_and_escalates(stores, customer):
    case, _lead, _agent = _team_case(stores, customer)
    case.first_response_warn_at = at(1, 0)
    case.save(update_fields=["first_response_warn_at"])
    result = check_sla.apply().get()
    assert result == {
        "warned": {"first_response": 0, "resolution": 0},
        "breached": {"first_response": 1, "resolution": 1},
    }
    case.refresh_from_db()
    # Escalated at the first breach; each breach has its own history entry.
    assert case.escalated_at is not None
    assert case.events.filter(kind="escalated").count() == 2


def test_a_breach_without_a_team_lead_still_marks_the_case(customer):
    case = open_case(category="complaint", customer=customer, summary="s", now=at(7, 9))
    check_sla_breaches(now=at(8, 10))
    case.refresh_from_db()
    assert (case.escalated_at, case.escalated_to) == (at(8, 10), None)
    escalated = case.events.get(kind="escalated")
    assert (escalated.to_value, escalated.data["emailed"]) == ("", False)


def test_the_case_page_shows_the_escalation_and_the_queue_marks_it(client, stores, customer):
    from tests.staff_fixtures import STAFF_PASSWORD

    case, _lead, _agent = _team_case(stores, customer)
    check_sla_breaches(now=at(8, 10))
    client.login(username="agent.li", password=STAFF_PASSWORD)
    page = client.get(f"/cases/{case.pk}/")
    assert page.status_code == 200
    content = page.content.decode()
    assert "已升级" in content
    assert "lead.zhou" in content
    assert "已升级" in client.get("/cases/").content.decode()
