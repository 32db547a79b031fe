"""Template filters shared by every staff page: money with its currency."""

from decimal import Decimal, InvalidOperation

from django import template

register = template.Library()

CURRENCY_SYMBOLS = {"CNY": "¥", "USD": "US$", "EUR": "€", "HKD": "HK$", "GBP": "£", "JPY": "JP¥"}


def format_money(amount: Decimal | str | int | None, currency: str = "CNY") -> str:
    """``Decimal("1234.5"), "CNY"`` -> ``"¥1,234.50"``; an unknown currency keeps its code."""
    if amount is None or amount == "":
        return ""
    try:
        value = Decimal(str(amount)).quantize(Decimal("0.01"))
    except InvalidOperation:
        return str(amount)
    code = (currency or "").upper()
    symbol = CURRENCY_SYMBOLS.get(code)
    number = f"{value:,.2f}"
    if number.startswith("-"):
        return f"-{symbol}{number[1:]}" if symbol else f"-{code} {number[1:]}"
    return f"{symbol}{number}" if symbol else f"{code} {number}"


@register.filter
def money(amount, currency: str = "CNY") -> str:
    return format_money(amount, currency)
