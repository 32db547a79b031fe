"""Language by script share (kesheng.feedback.text.language)."""

import pytest

from kesheng.feedback.text.language import detect_language


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("服务态度很好，下次还来", "zh"),
        ("The staff were friendly and the store was clean.", "en"),
        ("买了iPhone，店员很耐心", "zh"),  # a product name leaves Chinese text Chinese
        ("staff很nice但是queue太long了", "mixed"),
        ("Great service 服务很好", "mixed"),
        ("12345 !!!", ""),
        ("", ""),
        ("👍👍👍", ""),
    ],
)
def test_detects_language_by_script_share(text, language):
    assert detect_language(text) == language
