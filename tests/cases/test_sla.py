"""The SLA clock's arithmetic (pure): around the clock, business hours with a lunch break,
holidays and make-up working days, pauses."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from kesheng.cases import sla

SHANGHAI = ZoneInfo("Asia/Shanghai")
OFFICE = {
    day: [["09:00", "12:00"], ["13:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")
}


def at(day: int, hour: int, minute: int = 0, month: int = 9) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def office(**calendar) -> sla.BusinessHours:
    hours = sla.parse_business_hours(OFFICE, zone=SHANGHAI, **calendar)
    assert hours is not None
    return hours


def test_around_the_clock_a_deadline_is_plain_addition():
    due = sla.deadlines(
        at(7, 23, 30), first_response_minutes=24 * 60, resolution_minutes=72 * 60, hours=None
    )
    assert due == sla.Deadlines(at(8, 23, 30), at(10, 23, 30))


def test_business_hours_skip_the_lunch_break_and_the_night():
    # Monday 2026-09-07, 11:00: one hour before lunch, five after, then Tuesday.
    assert sla.add_working_time(at(7, 11), timedelta(hours=2), office()) == at(7, 14)
    assert sla.add_working_time(at(7, 11), timedelta(hours=7), office()) == at(8, 10)
    assert sla.add_working_time(at(7, 11), timedelta(hours=8), office()) == at(8, 11)
    # Opened at night or at lunch: the clock starts with the next shift.
    assert sla.add_working_time(at(7, 20), timedelta(hours=1), office()) == at(8, 10)
    assert sla.add_working_time(at(7, 12, 30), timedelta(minutes=30), office()) == at(7, 13, 30)


def test_weekends_and_holidays_are_closed_and_make_up_days_open():
    # Friday 2026-09-25 17:00 + 2 h: the weekend is closed -> Monday 10:00.
    assert sla.add_working_time(at(25, 17), timedelta(hours=2), office()) == at(28, 10)
    # National Day: Oct 1-7 closed; Sunday Sep 27 is a make-up working day (调休).
    hours = office(holidays=[f"2026-10-0{day}" for day in range(1, 8)], make_up_days=["2026-09-27"])
    assert sla.add_working_time(at(25, 17), timedelta(hours=2), hours) == at(27, 10)
    assert sla.add_working_time(at(30, 17), timedelta(hours=2), hours) == at(8, 10, month=10)


def test_working_time_between_counts_only_shifts():
    assert sla.working_time_between(at(7, 11), at(8, 10), office()) == timedelta(hours=7)
    assert sla.working_time_between(at(8, 10), at(7, 11), office()) == timedelta(0)
    assert sla.working_time_between(at(7, 11), at(8, 10), None) == timedelta(hours=23)


def test_a_pause_moves_the_deadline_on_by_the_working_time_it_took():
    due = at(8, 17)
    # Paused Monday 17:00 to Tuesday 10:00: two working hours.
    assert sla.extend_after_pause(due, at(7, 17), at(8, 10), office()) == at(9, 10)
    assert sla.extend_after_pause(due, at(7, 17), at(8, 10), None) == at(9, 10)


def test_overdue_compares_the_done_time_or_now_with_the_deadline():
    assert sla.is_overdue(at(7, 12), None, at(7, 12, 1)) is True
    assert sla.is_overdue(at(7, 12), at(7, 11), at(9, 0)) is False
    assert sla.is_overdue(at(7, 12), at(7, 13), at(7, 13)) is True
    assert sla.is_overdue(None, None, at(7, 13)) is False


def test_empty_hours_mean_around_the_clock():
    assert sla.parse_business_hours({}, zone=SHANGHAI) is None


@pytest.mark.parametrize(
    ("spec", "calendar", "message"),
    [
        (
            {"mon": [["9:00", "12:00"]]},
            {},
            "business_hours.mon[0]: '9:00' is not a time like 09:00",
        ),
        (
            {"monday": []},
            {},
            "business_hours.monday: is not one of mon, tue, wed, thu, fri, sat, sun",
        ),
        ({"mon": [["12:00", "09:00"]]}, {}, "business_hours.mon[0]: ends before it starts"),
        (
            {"mon": [["09:00", "12:00"], ["11:00", "13:00"]]},
            {},
            "business_hours.mon[1]: overlaps or comes before the shift before it",
        ),
        ({"mon": []}, {}, "business_hours: has no shift at all"),
        (OFFICE, {"holidays": ["10/01"]}, "holidays: '10/01' is not a date like 2026-10-01"),
    ],
)
def test_bad_hours_are_refused_with_where_and_why(spec, calendar, message):
    with pytest.raises(ValueError) as error:
        sla.parse_business_hours(spec, zone=SHANGHAI, **calendar)
    assert str(error.value) == message


def test_a_make_up_day_works_the_shifts_of_the_first_working_weekday():
    hours = office(make_up_days=["2026-09-27"])
    assert hours.shifts_on(date(2026, 9, 27)) == hours.shifts[0]
