"""Reply templates' placeholders, pure (no Django): ``{customer_name}`` and friends filled in,
anything else refused with its name, so a typo never reaches a customer as "{custmer_name}".
"""

from __future__ import annotations

import string
from collections.abc import Mapping

PLACEHOLDERS = ("customer_name", "case_number", "store", "agent_name", "category")


def unknown_placeholders(text: str) -> list[str]:
    """The placeholders in ``text`` that are not one of PLACEHOLDERS, in order of appearance.
    Raises ValueError for a broken brace ("{customer_name" or a lone "}")."""
    found: list[str] = []
    for _literal, name, _spec, _conversion in string.Formatter().parse(text):
        if name is not None and name not in PLACEHOLDERS and name not in found:
            found.append(name)
    return found


def fill(text: str, values: Mapping[str, str]) -> str:
    """``text`` with each placeholder replaced by its value (a missing value: empty). Raises
    ValueError naming unknown placeholders or a broken brace."""
    unknown = unknown_placeholders(text)
    if unknown:
        raise ValueError(", ".join("{" + name + "}" for name in unknown))
    return text.format_map({name: values.get(name, "") for name in PLACEHOLDERS})
