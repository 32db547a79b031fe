"""Reply templates' placeholders: the known ones filled, unknown ones and broken braces refused."""

import pytest

from kesheng.cases.placeholders import fill, unknown_placeholders


def test_fills_known_placeholders_and_leaves_missing_values_empty():
    assert fill(
        "{customer_name}，工单 #{case_number}（{store}）",
        {"customer_name": "王芳", "case_number": "12"},
    ) == ("王芳，工单 #12（）")
    assert fill("no placeholder, {{literal}}", {}) == "no placeholder, {literal}"


def test_refuses_unknown_placeholders_and_broken_braces():
    assert unknown_placeholders("{nom} {customer_name} {nom} {x}") == ["nom", "x"]
    with pytest.raises(ValueError, match=r"\{nom\}"):
        fill("Hi {nom}", {})
    with pytest.raises(ValueError):
        unknown_placeholders("Hi {customer_name")
