"""Parsing of the values that arrive from files and the API: times, dates, money, currency.

Each parser takes text (or an already typed value) and returns the clean value or raises
``ValueError`` with a reason a person can act on; callers attach the field name.
"""

import re
from datetime import UTC, date, datetime, time
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from zoneinfo import ZoneInfo

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("999999999999.99")
_CURRENCY_PATTERN = re.compile(r"^[A-Z]{3}$")


def parse_datetime(value, *, default_zone: ZoneInfo) -> datetime:
    """An aware UTC datetime from ISO 8601 text, a date, or an aware/naive datetime.

    Text without an offset is read in ``default_zone`` (the business's own time zone), because
    that is what a shop's export means by "2025-03-01 14:30".
    """
    try:
        return _parse_datetime(value, default_zone)
    except OverflowError:
        # Year 1 or 9999 moved across a time zone leaves the calendar datetime can hold.
        raise ValueError(f"{value!r} is out of the range of dates this system stores") from None


def _parse_datetime(value, default_zone: ZoneInfo) -> datetime:
    if type(value) is str:
        # Fast path for clean ISO text, which is every row of a large import; anything else
        # (spaces around it, a lower-case "z", a typing error) takes the careful path below.
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            if parsed.tzinfo is None:
                # The zone's offset for this wall time, as replace(tzinfo=zone) would use it,
                # at a third of the cost.
                utc = parsed - default_zone.utcoffset(parsed)
                return datetime.combine(utc.date(), utc.time(), UTC)
            return parsed.astimezone(UTC)
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime.combine(value, time.min)
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            raise ValueError("is empty")
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(
                f"{value!r} is not a date and time (use ISO 8601, e.g. 2025-03-01T14:30:00+08:00)"
            ) from None
    else:
        raise ValueError(f"{value!r} is not a date and time")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=default_zone)
    return parsed.astimezone(UTC)


def parse_date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not value.strip():
        raise ValueError("is empty")
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"{value!r} is not a date (use YYYY-MM-DD)") from None


def parse_amount(value) -> Decimal:
    """A non-negative money amount rounded to cents."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not an amount")
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise ValueError(f"{value!r} is not an amount") from None
    if not amount.is_finite():
        raise ValueError(f"{value!r} is not an amount")
    if amount < 0:
        raise ValueError(f"{value} is negative")
    if amount > MAX_AMOUNT:
        raise ValueError(f"{value} is too large")
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def parse_currency(value, *, default: str) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    code = str(value).strip().upper()
    if not _CURRENCY_PATTERN.match(code):
        raise ValueError(f"{value!r} is not an ISO 4217 currency code (e.g. CNY)")
    return code
