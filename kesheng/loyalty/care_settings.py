"""Checking the ``care`` key of the programme file (care messages, docs/loyalty.md).

```yaml
care:
  channels: [email, sms]     # the first channel the member has an address on
  send_hour: 9               # local hour from which the day's greetings go out
  birthday:
    gifts:                   # tier code -> a reward's coupon or bonus points, once a year
      silver: {reward: coupon-20}
      gold: {points: 500}
  holidays:
    days_before: 0           # greet on the day (or N days ahead)
    calendar:                # replaces the built-in 2026–2027 calendar
      - {code: spring-festival, name: {zh-Hans: 春节, en: Spring Festival}, date: 2026-02-17}
  tier_change: {}
  points_expiry: {days_before: 7}
```

Each of ``birthday``, ``holidays``, ``tier_change`` and ``points_expiry`` may be ``false`` to
turn that message off; left out, it is on with its defaults. Without a ``care`` key no care
message is sent at all.
"""

from datetime import date
from typing import Any

from django.utils.translation import gettext as _

from kesheng.loyalty.campaign_maths import default_calendar

CARE_KEYS = ("channels", "send_hour", "birthday", "holidays", "tier_change", "points_expiry")
CHANNELS = ("email", "sms")
DEFAULT_SEND_HOUR = 9
DEFAULT_EXPIRY_DAYS_BEFORE = 7
MAX_DAYS_BEFORE = 365
MAX_HOLIDAYS = 200
MAX_GIFT_POINTS = 1_000_000


def default_care() -> dict:
    return {
        "channels": list(CHANNELS),
        "send_hour": DEFAULT_SEND_HOUR,
        "birthday": {"gifts": {}},
        "holidays": {"days_before": 0, "calendar": default_calendar()},
        "tier_change": {},
        "points_expiry": {"days_before": DEFAULT_EXPIRY_DAYS_BEFORE},
    }


def _as_date(value: Any) -> str | None:
    if isinstance(value, date):  # YAML reads 2026-02-17 as a date
        return value.isoformat()
    if isinstance(value, str):
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            return None
    return None


def check_care(check, value: Any, *, reward_codes: list, tier_codes: list) -> dict | None:
    """The stored form of ``care`` (defaults filled in), or None with the problems added to
    the programme checker ``check``."""
    care = check.mapping(value, "care")
    if care is None:
        return None
    check.unknown_keys(care, CARE_KEYS, "care")
    stored = default_care()
    if "channels" in care:
        channels = care["channels"]
        if (
            not isinstance(channels, list)
            or not channels
            or any(channel not in CHANNELS for channel in channels)
            or len(set(channels)) != len(channels)
        ):
            check.problem(
                "care.channels",
                _("must be a list of %(choices)s, each once") % {"choices": ", ".join(CHANNELS)},
            )
        else:
            stored["channels"] = channels
    if "send_hour" in care:
        hour = check.whole(care["send_hour"], "care.send_hour", minimum=0, maximum=23)
        if hour is not None:
            stored["send_hour"] = hour
    for key in ("birthday", "holidays", "tier_change", "points_expiry"):
        if key not in care:
            continue
        part = care[key]
        if part is False:
            stored[key] = False
            continue
        if part is None or part is True:
            part = {}
        part = check.mapping(part, f"care.{key}")
        if part is None:
            continue
        if key == "birthday":
            _check_birthday(check, part, stored, reward_codes, tier_codes)
        elif key == "holidays":
            _check_holidays(check, part, stored)
        elif key == "tier_change":
            check.unknown_keys(part, (), "care.tier_change")
        else:
            check.unknown_keys(part, ("days_before",), "care.points_expiry")
            if "days_before" in part:
                days = check.whole(
                    part["days_before"],
                    "care.points_expiry.days_before",
                    minimum=1,
                    maximum=MAX_DAYS_BEFORE,
                )
                if days is not None:
                    stored["points_expiry"] = {"days_before": days}
    return stored


def _check_birthday(check, part: dict, stored: dict, reward_codes: list, tier_codes: list) -> None:
    check.unknown_keys(part, ("gifts",), "care.birthday")
    gifts = check.mapping(part.get("gifts", {}), "care.birthday.gifts")
    if gifts is None:
        return
    checked: dict = {}
    for tier, gift in gifts.items():
        path = f"care.birthday.gifts.{tier}"
        if tier not in tier_codes:
            check.problem(path, _("no tier with this code in the file"))
            continue
        gift = check.mapping(gift, path)
        if gift is None:
            continue
        check.unknown_keys(gift, ("reward", "points"), path)
        if ("reward" in gift) == ("points" in gift):
            check.problem(path, _("needs either reward or points (not both)"))
        elif "reward" in gift:
            if gift["reward"] not in reward_codes:
                check.problem(f"{path}.reward", _("no reward with this code in the file"))
            else:
                checked[tier] = {"reward": gift["reward"]}
        else:
            points = check.whole(
                gift["points"], f"{path}.points", minimum=1, maximum=MAX_GIFT_POINTS
            )
            if points is not None:
                checked[tier] = {"points": points}
    stored["birthday"] = {"gifts": checked}


def _check_holidays(check, part: dict, stored: dict) -> None:
    check.unknown_keys(part, ("days_before", "calendar"), "care.holidays")
    days_before = 0
    if "days_before" in part:
        days_before = check.whole(
            part["days_before"], "care.holidays.days_before", minimum=0, maximum=MAX_DAYS_BEFORE
        )
    calendar = default_calendar()
    if "calendar" in part:
        items = part["calendar"]
        if not isinstance(items, list) or len(items) > MAX_HOLIDAYS:
            check.problem(
                "care.holidays.calendar",
                _("must be a list of at most %(max)s holidays") % {"max": MAX_HOLIDAYS},
            )
            items = []
        calendar = []
        for index, item in enumerate(items):
            path = f"care.holidays.calendar[{index}]"
            holiday = check.mapping(item, path)
            if holiday is None:
                continue
            check.unknown_keys(holiday, ("code", "name", "date"), path)
            code = check.text(holiday.get("code"), f"{path}.code", max_length=40)
            names = check.mapping(holiday.get("name"), f"{path}.name")
            name_zh = name_en = None
            if names is not None:
                check.unknown_keys(names, ("zh-Hans", "en"), f"{path}.name")
                name_zh = check.text(names.get("zh-Hans"), f"{path}.name.zh-Hans", max_length=50)
                name_en = check.text(names.get("en"), f"{path}.name.en", max_length=50)
            day = _as_date(holiday.get("date"))
            if day is None:
                check.problem(f"{path}.date", _("must be a date as YYYY-MM-DD"))
            if code and name_zh and name_en and day:
                calendar.append(
                    {"code": code, "name": {"zh-Hans": name_zh, "en": name_en}, "date": day}
                )
    if days_before is not None:
        stored["holidays"] = {"days_before": days_before, "calendar": calendar}
