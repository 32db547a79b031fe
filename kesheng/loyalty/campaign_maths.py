"""Pure computation of campaigns and care messages (no Django): the reproducible control
draw, message placeholders, and the holiday calendar (docs/loyalty.md, "Campaigns" and
"Care messages").

The control draw hashes the campaign's id with the customer's primary key (SHA-256, the
first 8 bytes read as a fraction of 2**64): the same campaign and audience always split the
same way, whatever order the members are read in, and a member's draw does not depend on who
else is in the audience. A member whose draw is below the control share is in control.
"""

import hashlib
import re
from dataclasses import dataclass
from datetime import date, timedelta

DRAW_SCALE = float(2**64)
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def control_draw(campaign_pk: int, customer_pk: int) -> float:
    """A number in [0, 1) fixed by the campaign and the customer."""
    digest = hashlib.sha256(f"kesheng-campaign:{campaign_pk}:{customer_pk}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / DRAW_SCALE


def is_control(draw: float, control_share: float) -> bool:
    return draw < control_share


def fill_placeholders(template: str, values: dict[str, str]) -> str:
    """Replace ``{name}`` placeholders known in ``values``; unknown ones are left as written
    (a staff-written message is never evaluated as code, only these names are replaced)."""
    return PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), template)


@dataclass(frozen=True)
class Holiday:
    code: str
    name_zh: str
    name_en: str
    day: date


# The public holidays of mainland China, the day each falls on (the lunar ones from the
# Chinese calendar): 元旦 1 January, 春节 the first day of the lunar year, 清明 the solar term,
# 劳动节 1 May, 端午 the 5th of the 5th lunar month, 中秋 the 15th of the 8th, 国庆 1 October.
DEFAULT_HOLIDAYS: tuple[tuple[str, str, str, str], ...] = (
    ("new-year", "元旦", "New Year's Day", "2026-01-01"),
    ("spring-festival", "春节", "Spring Festival", "2026-02-17"),
    ("qingming", "清明", "Qingming Festival", "2026-04-05"),
    ("labour-day", "劳动节", "Labour Day", "2026-05-01"),
    ("dragon-boat", "端午", "Dragon Boat Festival", "2026-06-19"),
    ("mid-autumn", "中秋", "Mid-Autumn Festival", "2026-09-25"),
    ("national-day", "国庆", "National Day", "2026-10-01"),
    ("new-year", "元旦", "New Year's Day", "2027-01-01"),
    ("spring-festival", "春节", "Spring Festival", "2027-02-06"),
    ("qingming", "清明", "Qingming Festival", "2027-04-05"),
    ("labour-day", "劳动节", "Labour Day", "2027-05-01"),
    ("dragon-boat", "端午", "Dragon Boat Festival", "2027-06-09"),
    ("mid-autumn", "中秋", "Mid-Autumn Festival", "2027-09-15"),
    ("national-day", "国庆", "National Day", "2027-10-01"),
)


def default_calendar() -> list[dict]:
    """The default calendar in the stored form of the programme file's ``care.holidays``."""
    return [
        {"code": code, "name": {"zh-Hans": zh, "en": en}, "date": day}
        for code, zh, en, day in DEFAULT_HOLIDAYS
    ]


def holidays_to_greet(calendar: list[dict], today: date, days_before: int) -> list[Holiday]:
    """The holidays whose greeting goes out ``today``: those ``days_before`` days ahead."""
    target = today + timedelta(days=days_before)
    return [
        Holiday(
            code=item["code"],
            name_zh=item["name"]["zh-Hans"],
            name_en=item["name"]["en"],
            day=date.fromisoformat(item["date"]),
        )
        for item in calendar
        if date.fromisoformat(item["date"]) == target
    ]


def birthday_days(today: date) -> list[tuple[int, int]]:
    """The (month, day) birthdays celebrated ``today``: people born on 29 February celebrate
    on 28 February in years without one."""
    days = [(today.month, today.day)]
    is_leap = today.year % 4 == 0 and (today.year % 100 != 0 or today.year % 400 == 0)
    if today.month == 2 and today.day == 28 and not is_leap:
        days.append((2, 29))
    return days
