"""The case queue's views relative to the person looking: mine, my team, breaching soon."""

from datetime import timedelta

import pytest
from django.utils import timezone

from kesheng.cases.actions import add_case_note, open_case
from kesheng.cases.models import Team
from kesheng.commerce.actions import grant_store_access
from tests.staff_fixtures import STAFF_PASSWORD, create_staff_user

QUEUE = "/cases/"


@pytest.fixture
def people(db):
    return {name: create_staff_user(name) for name in ("li", "zhao", "wang")}


@pytest.fixture
def cases(stores, make_customer, people):
    team = Team.objects.create(name="上海客服", lead=people["li"])
    team.members.set([people["zhao"]])
    team.stores.set([stores["sh01"]])
    now = timezone.now()
    return {
        # Assigned to li by hand, no store, no team: first response due in 24 hours.
        "mine": open_case(
            category="delivery", customer=make_customer("C1"), summary="mine", assignee=people["li"]
        ),
        # Shanghai's team handles it; round robin gives it to zhao, its only member.
        "team": open_case(
            category="complaint",
            customer=make_customer("C2"),
            summary="team",
            store_id=stores["sh01"].pk,
            urgency="P2",
        ),
        # First response due in 3 hours.
        "soon": open_case(
            category="price",
            customer=make_customer("C3"),
            summary="soon",
            store_id=stores["bj01"].pk,
            now=now - timedelta(hours=21),
        ),
        # First response due in 5 hours, but past 75 % of its 24 hours.
        "warned": open_case(
            category="billing",
            customer=make_customer("C4"),
            summary="warned",
            now=now - timedelta(hours=19),
        ),
        # First response due in 10 hours, 14 of 24 hours gone.
        "later": open_case(
            category="staff",
            customer=make_customer("C5"),
            summary="later",
            now=now - timedelta(hours=14),
        ),
    }


def sign_in(client, username):
    client.login(username=username, password=STAFF_PASSWORD)


def listed(page) -> list[str]:
    assert page.status_code == 200
    return [case.summary for case in page.context["page"].object_list]


def test_mine_lists_the_open_cases_assigned_to_me(client, cases):
    sign_in(client, "li")
    assert listed(client.get(QUEUE, {"view": "mine", "status": "open"})) == ["mine"]
    sign_in(client, "zhao")
    assert listed(client.get(QUEUE, {"view": "mine", "status": "open"})) == ["team"]


def test_my_team_lists_the_cases_of_teams_i_lead_or_belong_to(client, cases):
    sign_in(client, "li")  # the lead
    assert listed(client.get(QUEUE, {"view": "team", "status": "open"})) == ["team"]
    sign_in(client, "zhao")  # a member
    assert listed(client.get(QUEUE, {"view": "team"})) == ["team"]
    sign_in(client, "wang")  # in no team
    assert listed(client.get(QUEUE, {"view": "team"})) == []


def test_breaching_soon_lists_deadlines_due_within_hours_or_past_75_percent(client, cases):
    sign_in(client, "wang")
    assert listed(client.get(QUEUE, {"view": "breaching"})) == ["soon", "warned"]
    assert listed(client.get(QUEUE, {"view": "breaching", "hours": "12"})) == [
        "soon",
        "warned",
        "later",
    ]


def test_breaching_soon_skips_answered_first_responses(client, cases):
    add_case_note(case=cases["soon"], text="we are on it", is_reply=True, actor=None)
    sign_in(client, "wang")
    # The resolution deadline (72 hours, 21 gone) is neither near nor past 75 %.
    assert listed(client.get(QUEUE, {"view": "breaching"})) == ["warned"]


def test_the_views_stay_within_a_store_managers_stores(client, cases, people):
    manager = create_staff_user("manager.wang", role="store_manager")
    grant_store_access(user=manager, store_codes=["bj01"])
    sign_in(client, "manager.wang")
    assert listed(client.get(QUEUE, {"view": "breaching"})) == ["soon"]
    assert listed(client.get(QUEUE, {"view": "team"})) == []


def test_the_queue_shows_the_view_tabs_and_refuses_bad_hours(client, cases):
    sign_in(client, "li")
    page = client.get(QUEUE)
    for link in ("?view=mine&amp;status=open", "?view=team&amp;status=open", "?view=breaching"):
        assert link.encode() in page.content
    assert client.get(QUEUE, {"view": "breaching", "hours": "0"}).status_code == 400
    assert client.get(QUEUE, {"view": "everything"}).status_code == 400
