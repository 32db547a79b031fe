"""Round-robin within the store's or the category's team: the turn passes on, skipping members
who are away or at their cap of open cases; the team's business hours set the clock."""

from datetime import datetime
from zoneinfo import ZoneInfo

from kesheng.cases.actions import assign_case, open_case, set_agent_away
from kesheng.cases.assignment import next_agent
from kesheng.cases.models import Team
from tests.staff_fixtures import create_staff_user

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 9, day, hour, minute, tzinfo=SHANGHAI)


def test_next_agent_takes_turns_and_skips_away_and_full_members():
    caps = {1: 2, 2: 2, 3: 2}
    assert next_agent([1, 2, 3], last_assigned=None, away=set(), open_cases={}, caps=caps) == 1
    assert next_agent([1, 2, 3], last_assigned=1, away=set(), open_cases={}, caps=caps) == 2
    assert next_agent([1, 2, 3], last_assigned=3, away=set(), open_cases={}, caps=caps) == 1
    assert next_agent([1, 2, 3], last_assigned=1, away={2}, open_cases={}, caps=caps) == 3
    assert next_agent([1, 2, 3], last_assigned=1, away={2}, open_cases={3: 2}, caps=caps) == 1
    assert next_agent([1, 2, 3], last_assigned=1, away={1, 2}, open_cases={3: 2}, caps=caps) is None
    assert next_agent([], last_assigned=None, away=set(), open_cases={}, caps={}) is None
    # A member who left the team: the turn starts from the first member again.
    assert next_agent([1, 2], last_assigned=9, away=set(), open_cases={}, caps=caps) == 1


def _team(stores, *members, **fields) -> Team:
    team = Team.objects.create(name="上海客服", **fields)
    team.members.set(members)
    team.stores.set([stores["sh01"]])
    return team


def test_cases_opening_go_round_robin_skipping_away_and_at_cap(stores, make_customer):
    li, wang, zhao = (create_staff_user(name) for name in ("li", "wang", "zhao"))
    team = _team(stores, li, wang, zhao, max_open_cases_per_agent=2)
    set_agent_away(user=wang, is_away=True)
    set_agent_away(user=zhao, is_away=False, max_open_cases=1)

    def open_one(number: int):
        return open_case(
            category="complaint",
            customer=make_customer(f"C{number:03d}"),
            summary="s",
            store_id=stores["sh01"].pk,
        )

    assignees = [open_one(number).assignee for number in range(1, 6)]
    # li, (wang away) zhao, li, (zhao at his cap of 1) li is at the team cap of 2: nobody.
    assert [user.username if user else None for user in assignees] == [
        "li",
        "zhao",
        "li",
        None,
        None,
    ]
    team.refresh_from_db()
    assert team.last_assigned == li
    set_agent_away(user=wang, is_away=False)
    # Back from leave: wang takes cases until the team cap of 2.
    assert [open_one(6).assignee, open_one(7).assignee] == [wang, wang]
    case = open_one(8)
    assert case.assignee is None
    assert (case.team, case.handling_team) == ("上海客服", team)
    history = list(case.events.values_list("kind", flat=True))
    assert history == ["opened"]


def test_a_case_is_assigned_by_rule_with_history_and_by_hand_later(stores, customer):
    li, wang = create_staff_user("li"), create_staff_user("wang")
    _team(stores, li)
    case = open_case(
        category="complaint", customer=customer, summary="s", store_id=stores["sh01"].pk
    )
    assert case.assignee == li
    assigned = case.events.get(kind="assigned")
    assert (assigned.to_value, assigned.data) == (
        str(li.pk),
        {"assignee": "li", "rule": "round_robin", "team": "上海客服"},
    )
    assign_case(case=case, assignee=wang, actor=li)
    case.refresh_from_db()
    assert case.assignee == wang


def test_the_category_team_takes_cases_of_stores_without_a_team(stores, customer):
    li = create_staff_user("li")
    team = Team.objects.create(name="线上客服", categories=["delivery", "digital"])
    team.members.set([li])
    case = open_case(
        category="delivery", customer=customer, summary="s", store_id=stores["bj01"].pk
    )
    assert (case.handling_team, case.assignee) == (team, li)
    other = open_case(category="price", customer=customer, summary="s")
    assert (other.handling_team, other.assignee) == (None, None)


def test_the_teams_business_hours_set_the_deadlines(stores, customer):
    shifts = [["09:00", "12:00"], ["13:00", "18:00"]]
    _team(stores, create_staff_user("li"), business_hours={"mon": shifts, "tue": shifts})
    # Opened Monday 17:00 with the default 24 h first response: 1 h on Monday, 8 h on
    # Tuesday, 15 h left for the next Monday (a week later: only Monday and Tuesday work).
    case = open_case(
        category="complaint",
        customer=customer,
        summary="s",
        store_id=stores["sh01"].pk,
        now=at(7, 17),
    )
    assert case.sla_terms["hours_of_team"] == "上海客服"
    assert case.first_response_due == at(15, 17)
    # The 75 % warning: 18 working hours = Monday 1 h, Tuesday 8 h, Monday 8 h, Tuesday 1 h.
    assert case.first_response_warn_at == at(15, 10)
