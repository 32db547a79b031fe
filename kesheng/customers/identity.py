"""Normalising identity values so the same person matches however a source typed them.

Pure functions: no Django imports.
"""

import re

_NON_DIGITS = re.compile(r"[^\d+]")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

IDENTITY_KINDS = ("customer_id", "email", "phone", "wechat_openid", "wechat_unionid", "external")


def normalize_email(value: str) -> str:
    email = value.strip().lower()
    if not _EMAIL.match(email):
        raise ValueError(f"{value!r} is not an email address")
    return email


def normalize_phone(value: str) -> str:
    """E.164-style: a Chinese mobile written any common way becomes +86 and its 11 digits.

    "138 0013 8000", "+86-138-0013-8000", "008613800138000" and "8613800138000" are one phone.
    Numbers of other countries must carry their + prefix.
    """
    compact = _NON_DIGITS.sub("", str(value).strip())
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    digits = compact.lstrip("+")
    if not digits.isdigit() or compact.count("+") > 1:
        raise ValueError(f"{value!r} is not a phone number")
    if compact.startswith("+"):
        if digits.startswith("86") and len(digits) == 13 and digits[2] == "1":
            return "+" + digits
        if 8 <= len(digits) <= 15:
            return "+" + digits
        raise ValueError(f"{value!r} is not a phone number")
    if len(digits) == 11 and digits.startswith("1"):
        return "+86" + digits
    if len(digits) == 13 and digits.startswith("861"):
        return "+" + digits
    if 7 <= len(digits) <= 12:
        # A Chinese landline with area code (e.g. 021-12345678): keep it under +86.
        return "+86" + digits.lstrip("0")
    raise ValueError(f"{value!r} is not a phone number")


def normalize_opaque(value: str, *, max_length: int = 200) -> str:
    text = str(value).strip()
    if not text:
        raise ValueError("is empty")
    if len(text) > max_length:
        raise ValueError(f"is longer than {max_length} characters")
    return text


def normalize_identity(kind: str, value: str) -> str:
    if kind == "email":
        return normalize_email(value)
    if kind == "phone":
        return normalize_phone(value)
    if kind == "customer_id":
        return normalize_opaque(value, max_length=64)
    if kind in IDENTITY_KINDS:
        return normalize_opaque(value)
    raise ValueError(f"{kind!r} is not an identity kind")
