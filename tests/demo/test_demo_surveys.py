from datetime import UTC, datetime
from statistics import mean
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.db.models import F

from kesheng.commerce.models import StaffMember
from kesheng.core.models import DomainEvent
from kesheng.demo.actions import load_demo_data
from kesheng.demo.generator import Clock, generate
from kesheng.demo.survey_generator import (
    DIP_DAYS,
    SURVEYS,
    WORSE_STORES,
    customer_segment,
    generate_surveys,
)
from kesheng.messaging.consent import allowed_customers
from kesheng.messaging.models import Message
from kesheng.surveys import flow
from kesheng.surveys.models import (
    Distribution,
    Invitation,
    InvitationStatus,
    Response,
    ResponseStatus,
    ResponseValue,
    Survey,
    SurveyStatus,
)

NOW = datetime(2026, 3, 15, 6, 30, tzinfo=UTC)
ZONE = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def loaded_demo(django_db_setup, django_db_blocker):
    """The demo loaded once for the module inside a transaction rolled back at its end; each
    test runs in a savepoint of it (the ``db`` fixture), so none sees another's changes. Seven
    seconds a load made this module the slowest of the suite when every test loaded it."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield load_demo_data(customer_count=400, seed=3, now=NOW)
        transaction.set_rollback(True)


@pytest.fixture
def demo(loaded_demo, db):
    return loaded_demo


def survey_counts():
    return {
        "surveys": Survey.objects.count(),
        "distributions": Distribution.objects.count(),
        "invitations": Invitation.objects.count(),
        "responses": Response.objects.count(),
        "values": ResponseValue.objects.count(),
    }


def test_the_six_demo_surveys_are_open_from_their_templates(demo):
    surveys = {survey.template_key: survey for survey in Survey.objects.all()}
    assert sorted(surveys) == sorted(SURVEYS)
    assert {survey.status for survey in surveys.values()} == {SurveyStatus.OPEN}
    assert {key: survey.slug for key, survey in surveys.items()} == SURVEYS
    assert [key for key, survey in surveys.items() if survey.is_anonymous] == [
        "xvoc_online_shopping"
    ]
    assert demo.surveys_created == 6
    assert demo.responses_created == Response.objects.count()


def test_every_survey_has_completed_responses_and_some_are_in_progress(demo):
    for survey in Survey.objects.all():
        assert survey.responses.filter(status=ResponseStatus.COMPLETED).count() > 0, survey.slug
    assert Response.objects.filter(status=ResponseStatus.IN_PROGRESS).count() > 0


def test_completed_responses_are_valid_against_their_definitions(demo):
    for response in Response.objects.filter(status=ResponseStatus.COMPLETED).select_related(
        "version"
    ):
        clean, errors = flow.validate_response(response.version.definition, response.answers)
        assert errors == {}, response.external_id
        assert clean == response.answers


def test_completed_responses_have_their_value_rows_and_in_progress_ones_none(demo):
    completed = Response.objects.filter(status=ResponseStatus.COMPLETED).select_related("version")
    expected = sum(
        len(flow.flatten_answers(response.version.definition, response.answers))
        for response in completed
    )
    assert ResponseValue.objects.count() == expected
    assert not ResponseValue.objects.filter(response__status=ResponseStatus.IN_PROGRESS).exists()


def test_responses_carry_customers_stores_and_channels_except_the_anonymous_survey(demo):
    anonymous = Response.objects.filter(survey__is_anonymous=True)
    assert anonymous.exists()
    assert not anonymous.filter(customer__isnull=False).exists()
    linked = Response.objects.filter(survey__is_anonymous=False)
    assert not linked.filter(customer__isnull=True).exists()
    store_visits = Response.objects.filter(survey__slug=SURVEYS["store_visit"])
    assert not store_visits.filter(store__isnull=True).exists()
    assert set(store_visits.values_list("channel__code", flat=True)) == {"store"}
    assert not Response.objects.filter(channel__isnull=True).exists()


def test_every_store_has_two_to_four_staff_who_serve_its_responses(demo):
    staff = StaffMember.objects.values_list("store__code", flat=True)
    per_store = {code: list(staff).count(code) for code in set(staff)}
    assert len(per_store) == 15
    assert set(per_store.values()) == {2, 3, 4}
    assert StaffMember.objects.count() == 45
    with_store = Response.objects.filter(store__isnull=False)
    assert with_store.exists()
    assert not with_store.filter(staff__isnull=True).exists()
    assert not with_store.exclude(staff__store=F("store")).exists()
    assert not Response.objects.filter(store__isnull=True, staff__isnull=False).exists()
    # 65 store-visit answers in 14 stores are spread over 33 of their staff members (this seed).
    served = Response.objects.filter(survey__slug=SURVEYS["store_visit"]).order_by()
    assert served.values("store").distinct().count() == 14
    assert served.values("staff").distinct().count() == 33


def test_store_surveys_have_one_qr_code_per_store(demo):
    for key in ("store_visit", "xvoc_supermarket"):
        qr = Distribution.objects.filter(survey__slug=SURVEYS[key], kind="qr")
        assert qr.count() == 15
        assert qr.values("store").distinct().count() == 15
    assert Distribution.objects.filter(survey__slug=SURVEYS["xvoc_online_shopping"], kind="link")


def test_nps_email_invitations_are_recorded_as_sent_with_realistic_outcomes(demo):
    invitations = Invitation.objects.filter(distribution__survey__slug=SURVEYS["nps_relationship"])
    statuses = set(invitations.values_list("status", flat=True))
    assert statuses == {
        InvitationStatus.SENT,
        InvitationStatus.OPENED,
        InvitationStatus.STARTED,
        InvitationStatus.COMPLETED,
    }
    assert not invitations.filter(sent_at__isnull=True).exists()
    completed = invitations.filter(status=InvitationStatus.COMPLETED)
    assert (
        completed.count()
        == Response.objects.filter(
            invitation__in=completed, status=ResponseStatus.COMPLETED
        ).count()
    )
    started = invitations.filter(status=InvitationStatus.STARTED)
    assert (
        started.count()
        == Response.objects.filter(
            invitation__in=started, status=ResponseStatus.IN_PROGRESS
        ).count()
    )
    # every invited customer agreed to surveys by email
    invited = set(invitations.values_list("customer_id", flat=True))
    assert allowed_customers(invited, channel="email", purpose="surveys") == invited


def test_loyal_customers_give_a_higher_nps_than_lapsing_ones():
    data = generate(customer_count=2000, seed=42, now=NOW, zone=ZONE)
    surveys = generate_surveys(data, seed=42, clock=Clock(NOW, ZONE))
    last_order = {}
    order_count = {}
    for order in data.orders:
        order_count[order.customer_id] = order_count.get(order.customer_id, 0) + 1
        days = (NOW - order.ordered_at).total_seconds() / 86400
        last_order[order.customer_id] = min(days, last_order.get(order.customer_id, days))
    scores = {"loyal": [], "lapsing": [], "other": []}
    for response in surveys.responses:
        if response.survey == "nps_relationship" and response.completed_at is not None:
            customer = response.customer_id
            segment = customer_segment(order_count.get(customer, 0), last_order.get(customer))
            scores[segment].append(response.answers["nps"])

    def net_promoter_score(values):
        promoters = sum(1 for value in values if value >= 9)
        detractors = sum(1 for value in values if value <= 6)
        return 100 * (promoters - detractors) / len(values)

    assert len(scores["loyal"]) >= 30
    assert len(scores["lapsing"]) >= 30
    assert net_promoter_score(scores["loyal"]) > net_promoter_score(scores["lapsing"]) + 30
    assert mean(scores["loyal"]) > mean(scores["lapsing"]) + 1


def test_the_worse_stores_score_lower_than_the_others():
    data = generate(customer_count=2000, seed=42, now=NOW, zone=ZONE)
    surveys = generate_surveys(data, seed=42, clock=Clock(NOW, ZONE))
    worse, others = [], []
    for response in surveys.responses:
        if response.survey == "store_visit":
            scores = worse if response.store in WORSE_STORES else others
            scores.append(response.answers["store_csat"])
    assert len(worse) >= 30
    assert mean(worse) < mean(others) - 0.4


def test_scores_dip_in_the_bad_quarter():
    data = generate(customer_count=2000, seed=42, now=NOW, zone=ZONE)
    surveys = generate_surveys(data, seed=42, clock=Clock(NOW, ZONE))
    inside, outside = [], []
    for response in surveys.responses:
        if response.survey == "post_purchase_csat" and response.completed_at is not None:
            days_ago = (NOW - response.completed_at).total_seconds() / 86400
            scores = inside if DIP_DAYS[0] <= days_ago <= DIP_DAYS[1] else outside
            scores.append(response.answers["csat"])
    assert len(inside) >= 30
    assert mean(inside) < mean(outside) - 0.4


def test_xvoc_puts_some_important_sub_processes_below_par():
    data = generate(customer_count=1000, seed=42, now=NOW, zone=ZONE)
    surveys = generate_surveys(data, seed=42, clock=Clock(NOW, ZONE))
    responses = [r for r in surveys.responses if r.survey == "xvoc_supermarket"]
    assert len(responses) >= 20

    def average(matrix, row):
        return mean(response.answers[matrix][row] for response in responses)

    rows = [f"S{index}" for index in range(1, 26)]
    importance = {row: average("importance", row) for row in rows}
    satisfaction = {row: average("satisfaction", row) for row in rows}
    mean_importance = mean(importance.values())
    mean_satisfaction = mean(satisfaction.values())
    # "fix first": above average importance, below average satisfaction
    fix_first = {
        row
        for row in rows
        if importance[row] > mean_importance and satisfaction[row] < mean_satisfaction
    }
    assert {"S18", "S22"} <= fix_first
    assert 2 <= len(fix_first) <= 8


def test_loading_surveys_twice_adds_nothing(demo):
    before = survey_counts()
    again = load_demo_data(customer_count=400, seed=3, now=NOW)
    assert survey_counts() == before
    assert (again.surveys_created, again.responses_created) == (0, 0)


def test_demo_surveys_queue_no_messages_and_emit_no_completed_events(demo):
    assert Message.objects.count() == 0
    assert not DomainEvent.objects.filter(name="response.completed").exists()
    assert DomainEvent.objects.filter(name="responses.imported").count() >= 6


def test_survey_data_is_the_same_for_the_same_seed():
    first_data = generate(customer_count=60, seed=9, now=NOW, zone=ZONE)
    second_data = generate(customer_count=60, seed=9, now=NOW, zone=ZONE)
    first = generate_surveys(first_data, seed=9, clock=Clock(NOW, ZONE))
    second = generate_surveys(second_data, seed=9, clock=Clock(NOW, ZONE))
    assert first == second
    assert len(first.responses) > 0


def test_recent_detractors_have_cases_worked_by_the_agent(demo):
    from kesheng.cases.models import Case, CaseStatus
    from kesheng.demo.cases import load_demo_cases

    # The small demo has few answers in the last weeks: look back a year for this test.
    assert load_demo_cases(now=NOW, days=365) == Case.objects.count() > 0
    cases = Case.objects.all()
    assert all(case.response_id and case.customer_id for case in cases)
    statuses = set(cases.values_list("status", flat=True))
    # Every status shows, and a closed case has the customer's handling answer.
    assert statuses == set(CaseStatus.values)
    assert cases.filter(status=CaseStatus.CLOSED, handling_csat__isnull=False).exists()
    assert cases.filter(status=CaseStatus.WAITING_ON_CUSTOMER, paused_at__isnull=False).exists()
    # Running it again opens and changes nothing.
    before = sorted(cases.values_list("pk", "status"))
    load_demo_cases(now=NOW, days=365)
    assert sorted(Case.objects.values_list("pk", "status")) == before
