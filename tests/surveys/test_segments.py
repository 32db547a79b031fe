"""Segments and surveys: rules on NPS answers and responses, invitations to a segment (once
and on a schedule), the distribute page with a segment, and a segment in use kept."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import translation

from kesheng.core.errors import Conflict, InvalidInput
from kesheng.customers.actions import create_segment, delete_segment
from kesheng.customers.models import Customer, Segment
from kesheng.customers.segments import compile_rules, validate_rules
from kesheng.surveys.actions.distribution import (
    create_distribution,
    create_invitations,
    invite_segment,
    run_due_distributions,
)
from kesheng.surveys.actions.surveys import create_survey
from kesheng.surveys.models import Distribution, Invitation
from tests.staff_fixtures import create_staff_user
from tests.surveys.results_fixtures import add_completed_response


@pytest.fixture(autouse=True)
def english_reasons():
    """Rule problems are translated for the pages; these tests read the English text."""
    with translation.override("en"):
        yield


T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
DEFINITION = {
    "format": "kesheng-survey/1",
    "languages": ["zh-hans", "en"],
    "default_language": "zh-hans",
    "title": {"zh-hans": "购物满意度调查", "en": "Shopping satisfaction survey"},
    "pages": [
        {
            "name": "p1",
            "title": {"zh-hans": "总体评价", "en": "Overall"},
            "questions": [
                {
                    "name": "recommend",
                    "type": "nps",
                    "title": {"zh-hans": "您推荐我们的可能性？", "en": "Would you recommend us?"},
                    "required": True,
                },
                {
                    "name": "score",
                    "type": "rating",
                    "title": {"zh-hans": "评分", "en": "Rating"},
                    "scale": {"min": 0, "max": 10},
                },
            ],
        }
    ],
}


@pytest.fixture(autouse=True)
def public_site(settings):
    settings.KESHENG_PUBLIC_URL = "http://testserver"
    settings.KESHENG_SURVEY_FATIGUE_DAYS = 30


@pytest.fixture
def survey(db):
    return create_survey(title="Shopping", definition=DEFINITION, slug="shopping", status="open")


@pytest.fixture
def willing(make_customer):
    def make(customer_id, **fields):
        consents = {"email:surveys": True, "sms:surveys": True}
        return make_customer(
            customer_id, email=f"{customer_id.lower()}@example.com", consents=consents, **fields
        )

    return make


def members(rules, now) -> set[str]:
    condition = compile_rules(validate_rules(rules), now=now)
    return set(Customer.objects.filter(condition).values_list("customer_id", flat=True))


def nps(op, value, **extra):
    return {"all": [{"field": "surveys.nps_group", "op": op, "value": value, **extra}]}


def test_nps_group_of_the_latest_answer(survey, make_customer):
    a, b, c = make_customer("A"), make_customer("B"), make_customer("C")
    make_customer("D")  # never answered
    now = datetime.now(tz=UTC)
    # A was a detractor, then a promoter; B a passive long ago; C a detractor recently.
    add_completed_response(
        survey, {"recommend": 3, "score": 10}, customer=a, completed_at=now - timedelta(days=200)
    )
    add_completed_response(
        survey, {"recommend": 10, "score": 1}, customer=a, completed_at=now - timedelta(days=10)
    )
    add_completed_response(
        survey, {"recommend": 8}, customer=b, completed_at=now - timedelta(days=200)
    )
    add_completed_response(
        survey, {"recommend": 0}, customer=c, completed_at=now - timedelta(days=5)
    )

    assert members(nps("eq", "promoter"), now) == {"A"}
    assert members(nps("eq", "detractor"), now) == {"C"}
    assert members(nps("in", ["passive", "detractor"]), now) == {"B", "C"}
    assert members(nps("ne", "promoter"), now) == {"B", "C", "D"}
    # Within the last 90 days only: B's answer is too old, A's latest is the promoter one.
    assert members(nps("eq", "passive", days=90), now) == set()
    assert members(nps("eq", "detractor", days=90), now) == {"C"}
    assert members(nps("eq", "detractor", days=365), now) == {"C"}


def test_responded_to_a_survey_by_link_name(survey, make_customer):
    a = make_customer("A")
    make_customer("B")
    now = datetime.now(tz=UTC)
    add_completed_response(
        survey, {"recommend": 9}, customer=a, completed_at=now - timedelta(days=40)
    )
    rules = {"all": [{"field": "surveys.responded", "op": "eq", "value": "shopping"}]}
    assert members(rules, now) == {"A"}
    rules["all"][0]["days"] = 30
    assert members(rules, now) == set()
    assert (
        members({"all": [{"field": "surveys.responded", "op": "in", "value": ["x"]}]}, now) == set()
    )


def test_nps_group_value_must_be_a_group(db):
    with pytest.raises(InvalidInput) as refused:
        validate_rules(nps("eq", "fan"))
    assert refused.value.errors[0].as_dict() == {
        "field": "rules.all[0].value",
        "reason": "expected one of promoter, passive, detractor",
    }


# --- invitations -------------------------------------------------------------------------------


@pytest.fixture
def vip_segment(willing):
    willing("C1", tags=["vip"])
    willing("C2", tags=["vip"])
    willing("C3")
    return create_segment(
        name="VIP", rules={"all": [{"field": "tag", "op": "has", "value": "vip"}]}
    )


def test_invitations_to_a_segment_reach_exactly_its_members(survey, vip_segment):
    distribution = create_distribution(survey=survey, kind="link", name="Personal links")
    batch = create_invitations(distribution=distribution, segment_id=vip_segment.pk, now=T0)
    assert batch.created == 2
    assert sorted(Invitation.objects.values_list("customer__customer_id", flat=True)) == [
        "C1",
        "C2",
    ]


def test_invite_segment_by_email_sends_to_its_members(
    survey, vip_segment, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        distribution, batch = invite_segment(
            survey=survey, kind="email", segment_id=vip_segment.pk, now=T0
        )
    assert (batch.created, batch.skipped_consent, batch.skipped_fatigue) == (2, 0, 0)
    assert sorted(
        Invitation.objects.filter(distribution=distribution).values_list(
            "customer__customer_id", flat=True
        )
    ) == ["C1", "C2"]


def test_invite_an_unknown_segment_is_refused_and_nothing_is_written(survey, vip_segment):
    with pytest.raises(InvalidInput) as refused:
        invite_segment(survey=survey, kind="email", segment_id=vip_segment.pk + 100)
    assert refused.value.errors[0].as_dict() == {
        "field": "segment",
        "reason": f"no segment with id {vip_segment.pk + 100}",
    }
    assert (Distribution.objects.count(), Invitation.objects.count()) == (0, 0)


def test_a_scheduled_distribution_invites_the_segment_as_it_is_at_each_run(
    survey, vip_segment, willing
):
    quarterly = create_distribution(
        survey=survey,
        kind="email",
        options={"schedule": {"every": "quarter", "segment": vip_segment.pk}},
    )
    assert run_due_distributions(now=T0) == 1
    first = Invitation.objects.order_by("pk")
    assert sorted(first.values_list("customer__customer_id", flat=True)) == ["C1", "C2"]
    last_first_run = first.last().pk
    willing("C4", tags=["vip"])  # joins the segment before the next quarter
    assert run_due_distributions(now=datetime(2026, 6, 2, 2, tzinfo=UTC)) == 1
    second = Invitation.objects.filter(pk__gt=last_first_run)
    assert sorted(second.values_list("customer__customer_id", flat=True)) == ["C1", "C2", "C4"]
    quarterly.refresh_from_db()
    assert quarterly.options["schedule"]["next_run_at"] == "2026-09-02T01:00:00+00:00"


def test_a_schedule_with_an_unknown_segment_is_refused(survey):
    with pytest.raises(InvalidInput) as refused:
        create_distribution(
            survey=survey, kind="email", options={"schedule": {"every": "month", "segment": 999}}
        )
    assert refused.value.errors[0].as_dict() == {
        "field": "options.schedule.segment",
        "reason": "no segment with id 999",
    }
    with pytest.raises(InvalidInput) as refused:
        create_distribution(
            survey=survey, kind="email", options={"schedule": {"every": "month", "segment": "1"}}
        )
    assert refused.value.errors[0].reason == "must be the id of a segment"
    assert Distribution.objects.count() == 0


def test_a_segment_a_schedule_sends_to_cannot_be_deleted(survey, vip_segment):
    create_distribution(
        survey=survey,
        kind="email",
        name="Quarterly VIP",
        options={"schedule": {"every": "quarter", "segment": vip_segment.pk}},
    )
    with pytest.raises(Conflict) as refused:
        delete_segment(segment=vip_segment)
    assert "Quarterly VIP" in refused.value.message
    assert Segment.objects.filter(pk=vip_segment.pk).exists()


# --- the distribute page -----------------------------------------------------------------------


def test_the_distribute_page_invites_a_segment(client, survey, vip_segment):
    client.force_login(create_staff_user("cx.user", role="cx_manager"))
    url = reverse("surveys:invite", args=[survey.pk])
    form = {
        "kind": "email",
        "segment": str(vip_segment.pk),
        "city": "",
        "tag": "",
        "expires_days": "14",
        "reminder_after_days": "3",
        "max_reminders": "0",
    }
    counted = client.post(url, {**form, "count": "1"}, HTTP_ACCEPT_LANGUAGE="en")
    assert counted.status_code == 200
    assert (counted.context["audience"].matching, counted.context["audience"].with_consent) == (
        2,
        2,
    )
    assert Distribution.objects.count() == 0
    response = client.post(url, {**form, "send": "1"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302
    assert sorted(Invitation.objects.values_list("customer__customer_id", flat=True)) == [
        "C1",
        "C2",
    ]


def test_the_distribute_page_refuses_an_unknown_segment(client, survey, vip_segment):
    client.force_login(create_staff_user("cx.user", role="cx_manager"))
    response = client.post(
        reverse("surveys:invite", args=[survey.pk]),
        {
            "send": "1",
            "kind": "email",
            "segment": "99999",
            "expires_days": "14",
            "reminder_after_days": "3",
            "max_reminders": "0",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert response.context["invitation_form"].errors["segment"] == [
        "Select a valid choice. That choice is not one of the available choices."
    ]
    assert (Distribution.objects.count(), Invitation.objects.count()) == (0, 0)
