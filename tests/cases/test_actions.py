"""Cases open by the rules (detractors, low CSAT, complaints, low-rated reviews) and by hand,
once per customer and cause; statuses move only along allowed transitions; deadlines and
breaches at exact times."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from kesheng.cases.actions import (
    CaseExists,
    add_case_note,
    assign_case,
    change_case_status,
    check_sla_breaches,
    open_case,
    open_case_by_hand,
    open_cases_for_response,
    reopen_case,
    resolve_case,
)
from kesheng.cases.models import Case, CaseEvent, SlaPolicy
from kesheng.core.errors import Conflict, InvalidInput
from kesheng.core.models import DomainEvent
from kesheng.feedback.actions import analyse_feedback_items, record_feedback
from kesheng.feedback.models import FeedbackItem
from tests.staff_fixtures import create_staff_user
from tests.surveys.results_fixtures import add_completed_response

SHANGHAI = ZoneInfo("Asia/Shanghai")
ANSWERS = {"visit": "shop", "comment": "排队太久了"}


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 9, day, hour, minute, tzinfo=SHANGHAI)


def events_named(name: str) -> list[dict]:
    return list(
        DomainEvent.objects.filter(name=name).order_by("pk").values_list("payload", flat=True)
    )


def test_a_detractor_response_opens_one_case_with_default_deadlines(
    survey, customer, django_capture_on_commit_callbacks
):
    completed = timezone.now().replace(microsecond=0)
    with django_capture_on_commit_callbacks(execute=True):
        response = add_completed_response(
            survey, {**ANSWERS, "nps": 3}, customer=customer, completed_at=completed
        )
    case = Case.objects.get()
    assert (case.customer_id, case.response_id, case.category, case.urgency, case.status) == (
        customer.pk,
        response.pk,
        "detractor",
        "P2",
        "new",
    )
    assert case.summary == "NPS answer 3"
    assert case.opened_at == completed
    assert case.first_response_due == completed + timedelta(hours=24)
    assert case.resolution_due == completed + timedelta(hours=48)
    assert case.sla_terms["name"] == "default"
    assert [event["case_id"] for event in events_named("case.opened")] == [case.pk]
    # The event delivered again (a retry) opens nothing more.
    open_cases_for_response({"response_id": response.pk})
    assert Case.objects.count() == 1


def test_the_same_detractor_answering_twice_adds_to_the_open_case(
    survey, customer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        add_completed_response(survey, {**ANSWERS, "nps": 5}, customer=customer)
        second = add_completed_response(survey, {**ANSWERS, "nps": 2}, customer=customer)
    case = Case.objects.get()
    assert case.urgency == "P3"
    linked = CaseEvent.objects.get(case=case, kind="linked")
    assert f"#{second.pk}" in linked.text


def test_low_csat_opens_a_case_and_passives_and_promoters_do_not(
    survey, make_customer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        add_completed_response(
            survey, {**ANSWERS, "nps": 7, "csat": 1}, customer=make_customer("C1")
        )
        add_completed_response(
            survey, {**ANSWERS, "nps": 9, "csat": 4}, customer=make_customer("C2")
        )
        add_completed_response(survey, {**ANSWERS, "nps": 7}, customer=make_customer("C3"))
    assert list(Case.objects.values_list("customer__customer_id", "category", "urgency")) == [
        ("C1", "low_satisfaction", "P2")
    ]


def test_complaints_and_low_rated_reviews_open_cases(
    stores, customer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        record_feedback(
            items=[
                {
                    "source": "complaint",
                    "source_id": "c1",
                    "text": "退款一直没到账",
                    "customer_id": "C001",
                    "store": "sh01",
                },
                {
                    "source": "review",
                    "source_id": "r1",
                    "text": "太差了",
                    "rating": 1,
                    "store": "bj01",
                },
                {
                    "source": "review",
                    "source_id": "r2",
                    "text": "还不错",
                    "rating": 4,
                    "store": "bj01",
                },
                {
                    "source": "review",
                    "source_id": "r3",
                    "text": "很差",
                    "rating": 2,
                    "occurred_at": "2020-01-01T10:00:00",
                },
            ]
        )
    assert sorted(
        Case.objects.values_list("feedback_item__source_id", "category", "urgency", "store__code")
    ) == [
        ("c1", "complaint", "P2", "sh01"),
        ("r1", "negative_review", "P3", "bj01"),
    ]


def test_a_negative_social_mention_above_the_reach_opens_a_case_once_analysed(
    stores, settings, django_capture_on_commit_callbacks
):
    settings.KESHENG_CASE_SOCIAL_REACH_MIN = 10_000

    def mention(source_id: str, text: str, reach: int, **extra) -> dict:
        return {"source": "social", "source_id": source_id, "text": text, "reach": reach} | extra

    with django_capture_on_commit_callbacks(execute=True):
        record_feedback(
            items=[
                mention("m1", "这家店服务太差了，再也不来了，大家别去", 52_000, store="sh01"),
                mention("m2", "这家店服务太差了，再也不来了", 800),  # too few see it
                mention("m3", "新品很好吃，店员也很热情，推荐", 90_000),  # not negative
                mention(
                    "m4", "服务太差了，再也不来了", 20_000, occurred_at="2020-01-01T10:00:00"
                ),  # too old
            ]
        )
    items = {item.source_id: item for item in FeedbackItem.objects.all()}
    assert (items["m1"].sentiment, items["m2"].sentiment, items["m3"].sentiment) == (
        "negative",
        "negative",
        "positive",
    )
    assert list(
        Case.objects.values_list("feedback_item__source_id", "category", "urgency", "store__code")
    ) == [("m1", "negative_mention", "P2", "sh01")]
    # Analysing the item again (after an edit) opens nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        analyse_feedback_items(item_ids=[items["m1"].pk])
    assert Case.objects.count() == 1


def test_the_social_mention_rule_is_off_at_a_reach_of_zero(
    db, settings, django_capture_on_commit_callbacks
):
    settings.KESHENG_CASE_SOCIAL_REACH_MIN = 0
    with django_capture_on_commit_callbacks(execute=True):
        record_feedback(
            items=[{"source": "social", "source_id": "m1", "text": "服务太差了", "reach": 10**6}]
        )
    assert FeedbackItem.objects.get().sentiment == "negative"
    assert Case.objects.count() == 0


def test_opening_by_hand_twice_for_the_same_customer_and_cause_is_refused(customer):
    first = open_case(category="complaint", customer=customer, summary="电话投诉")
    with pytest.raises(CaseExists) as refused:
        open_case(category="complaint", customer=customer, summary="again")
    assert refused.value.case_id == first.pk
    assert (
        refused.value.message
        == f"this customer already has an open case for this cause: #{first.pk}"
    )
    assert Case.objects.count() == 1
    # Another cause is another case; after the first is closed the cause may open again.
    open_case(category="delivery", customer=customer, summary="物流")
    change_case_status(case=first, status="closed", actor=None)
    open_case(category="complaint", customer=customer, summary="new complaint")
    assert Case.objects.filter(customer=customer).count() == 3


def test_opening_by_hand_names_each_unknown_reference(db):
    with pytest.raises(InvalidInput) as refused:
        open_case_by_hand(
            category="complaint",
            summary="x",
            customer_id="NOPE",
            store_code="zz",
            feedback_item_id=99,
        )
    assert [error.as_dict() for error in refused.value.errors] == [
        {"field": "feedback_id", "reason": "no feedback item 99"},
        {"field": "customer_id", "reason": "no customer has the id 'NOPE'"},
        {"field": "store", "reason": "no store has the code 'zz'"},
    ]
    with pytest.raises(InvalidInput) as refused:
        open_case(category="rudeness", urgency="P9")
    assert [error.field for error in refused.value.errors] == ["category", "urgency"]
    assert Case.objects.count() == 0


def test_statuses_move_along_allowed_transitions_only(customer):
    agent = create_staff_user("agent.li")
    case = open_case(category="complaint", customer=customer, summary="s", now=at(7, 10))
    with pytest.raises(InvalidInput) as refused:
        change_case_status(case=case, status="reopened", actor=agent)
    assert refused.value.errors[0].as_dict() == {
        "field": "status",
        "reason": "a case that is new cannot become reopened; it can become: "
        "acknowledged, in_progress, waiting_on_customer, resolved, closed",
    }
    with pytest.raises(InvalidInput):
        change_case_status(case=case, status="lost", actor=agent)
    case.refresh_from_db()
    assert case.status == "new"

    change_case_status(case=case, status="acknowledged", actor=agent, now=at(7, 11))
    assign_case(case=case, assignee=agent, actor=agent, now=at(7, 11))
    change_case_status(case=case, status="in_progress", actor=agent, now=at(7, 12))
    resolve_case(case=case, actor=agent, note="已退款", now=at(7, 13))
    with pytest.raises(InvalidInput):
        change_case_status(case=case, status="in_progress", actor=agent)
    reopen_case(case=case, actor=agent, now=at(8, 9))
    case.refresh_from_db()
    assert (case.status, case.first_responded_at, case.resolved_at, case.assignee_id) == (
        "reopened",
        at(7, 11),
        None,
        agent.pk,
    )
    # A fresh resolution clock of the case's terms (P3 default: 72 h) from the reopening.
    assert case.resolution_due == at(11, 9)
    history = list(case.events.values_list("kind", "from_value", "to_value", "actor_id"))
    assert history == [
        ("opened", "", "new", None),
        ("status", "new", "acknowledged", agent.pk),
        ("assigned", "", str(agent.pk), agent.pk),
        ("status", "acknowledged", "in_progress", agent.pk),
        ("status", "in_progress", "resolved", agent.pk),
        ("customer_told", "", "email", None),
        ("status", "resolved", "reopened", agent.pk),
    ]
    assert [payload["case_id"] for payload in events_named("case.resolved")] == [case.pk]
    assert [payload["case_id"] for payload in events_named("case.reopened")] == [case.pk]


def test_reopening_while_another_case_for_the_cause_is_open_is_a_conflict(customer):
    first = open_case(category="complaint", customer=customer, summary="1")
    change_case_status(case=first, status="closed", actor=None)
    open_case(category="complaint", customer=customer, summary="2")
    with pytest.raises(Conflict):
        reopen_case(case=first, actor=None)
    first.refresh_from_db()
    assert first.status == "closed"


def test_a_policy_in_business_hours_sets_the_deadlines(customer):
    SlaPolicy.objects.create(
        name="complaints, office hours",
        category="complaint",
        first_response_minutes=4 * 60,
        resolution_minutes=16 * 60,
        business_hours={
            d: [["09:00", "12:00"], ["13:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")
        },
    )
    SlaPolicy.objects.create(name="everything else", position=200, first_response_minutes=60)
    # Friday 2026-09-11 16:00: 2 h on Friday, the rest on Monday.
    case = open_case(category="complaint", customer=customer, summary="s", now=at(11, 16))
    assert (case.first_response_due, case.resolution_due) == (at(14, 11), at(15, 16))
    assert case.sla_terms["name"] == "complaints, office hours"
    other = open_case(category="price", customer=customer, summary="s", now=at(11, 16))
    assert other.first_response_due == at(11, 17)


def test_waiting_on_the_customer_pauses_the_resolution_clock(customer):
    case = open_case(category="complaint", customer=customer, summary="s", now=at(7, 10))
    assert case.resolution_due == at(10, 10)  # P3 default, 72 h
    change_case_status(case=case, status="waiting_on_customer", actor=None, now=at(7, 12))
    change_case_status(case=case, status="in_progress", actor=None, now=at(8, 12))
    case.refresh_from_db()
    assert (case.resolution_due, case.paused_at) == (at(11, 10), None)


def test_breaches_are_marked_once_at_the_deadline(customer, make_customer):
    late = open_case(category="complaint", customer=customer, summary="s", now=at(7, 10))
    answered = open_case(category="delivery", customer=customer, summary="s", now=at(7, 10))
    add_case_note(case=answered, actor=None, text="我们在处理", is_reply=True, now=at(7, 11))
    waiting = open_case(category="price", customer=make_customer("C2"), summary="s", now=at(7, 10))
    change_case_status(case=waiting, status="waiting_on_customer", actor=None, now=at(7, 11))

    assert check_sla_breaches(now=at(8, 10)) == {"first_response": 0, "resolution": 0}
    assert check_sla_breaches(now=at(8, 10, 1)) == {"first_response": 1, "resolution": 0}
    late.refresh_from_db()
    assert late.first_response_breached_at == at(8, 10)
    # Past the 72 h resolution deadline: the waiting case's clock is paused.
    assert check_sla_breaches(now=at(10, 10, 1)) == {"first_response": 0, "resolution": 2}
    assert check_sla_breaches(now=at(12, 0)) == {"first_response": 0, "resolution": 0}
    breached = sorted((p["case_id"], p["deadline"]) for p in events_named("case.breached"))
    assert breached == [
        (late.pk, "first_response"),
        (late.pk, "resolution"),
        (answered.pk, "resolution"),
    ]
    assert CaseEvent.objects.filter(kind="breached").count() == 3


def test_a_late_first_response_is_a_breach_even_before_the_check(customer):
    case = open_case(category="complaint", customer=customer, summary="s", now=at(7, 10))
    add_case_note(case=case, actor=None, text="抱歉久等", is_reply=True, now=at(8, 12))
    case.refresh_from_db()
    assert (case.first_responded_at, case.first_response_breached_at) == (at(8, 12), at(8, 10))
    assert check_sla_breaches(now=at(8, 13)) == {"first_response": 0, "resolution": 0}
    assert len(events_named("case.breached")) == 1


def test_an_empty_note_is_refused(customer):
    case = open_case(category="complaint", customer=customer, summary="s")
    with pytest.raises(InvalidInput) as refused:
        add_case_note(case=case, actor=None, text="  ")
    assert refused.value.errors[0].as_dict() == {"field": "text", "reason": "is required"}
    assert case.events.count() == 1
