from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from kesheng.core.parsing import parse_amount, parse_currency, parse_date, parse_datetime

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    "text",
    [
        "2025-03-01T14:30:00+08:00",
        "2025-03-01 14:30:00",
        " 2025-03-01T14:30:00 ",
        "2025-03-01T06:30:00Z",
        "2025-03-01T06:30:00z",
    ],
)
def test_reads_iso_times_and_naive_ones_in_the_business_zone(text):
    assert parse_datetime(text, default_zone=SHANGHAI) == datetime(2025, 3, 1, 6, 30, tzinfo=UTC)


def test_a_date_alone_is_midnight_in_the_business_zone():
    assert parse_datetime(date(2025, 3, 1), default_zone=SHANGHAI) == datetime(
        2025, 2, 28, 16, 0, tzinfo=UTC
    )


@pytest.mark.parametrize(
    "text", ["yesterday", "", "2025-13-01", "0001-01-01T00:00:00", "9999-12-31T23:59:59-08:00"]
)
def test_refuses_what_is_not_a_storable_time_with_a_value_error(text):
    with pytest.raises(ValueError):
        parse_datetime(text, default_zone=SHANGHAI)


def test_reads_dates():
    assert parse_date("2024-02-29") == date(2024, 2, 29)
    with pytest.raises(ValueError, match="is not a date"):
        parse_date("2023-02-29")


@pytest.mark.parametrize(
    ("text", "amount"),
    [("12.5", Decimal("12.50")), ("1,234.565", Decimal("1234.57")), (7, Decimal("7.00"))],
)
def test_amounts_are_decimals_rounded_to_cents(text, amount):
    assert parse_amount(text) == amount


@pytest.mark.parametrize("text", ["-1", "abc", "NaN", "Infinity", True, "1e20"])
def test_refuses_bad_amounts(text):
    with pytest.raises(ValueError):
        parse_amount(text)


def test_currency_defaults_and_is_checked():
    assert parse_currency("", default="CNY") == "CNY"
    assert parse_currency("usd", default="CNY") == "USD"
    with pytest.raises(ValueError, match="ISO 4217"):
        parse_currency("yuan", default="CNY")
