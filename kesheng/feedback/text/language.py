"""Which language a comment is in, by the share of each script.

Comments here are Chinese, English or both ("APP很卡", "staff很nice"). Counting characters
would let one English word outweigh a Chinese clause (a Latin word is several letters where a
Chinese word is one or two characters), so a Latin word counts as 1.5 units, about the length of
a Chinese word; a Han character counts as one.
"""

import re

CHINESE = "zh"
ENGLISH = "en"
MIXED = "mixed"
UNKNOWN = ""

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef]")
_LATIN_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")
LATIN_WORD_WEIGHT = 1.5
# A comment counts as one language when the other script is at most this share of it: a brand
# or product name ("iPhone", "OK") inside a Chinese sentence leaves it Chinese.
DOMINANT_SHARE = 0.8


def script_counts(text: str) -> tuple[int, int]:
    """(Han characters, Latin words) in ``text``."""
    return len(_HAN.findall(text)), len(_LATIN_WORD.findall(text))


def detect_language(text: str) -> str:
    """``zh``, ``en``, ``mixed``, or ``""`` when the text has neither script (digits, emoji)."""
    han, latin_words = script_counts(text)
    latin = latin_words * LATIN_WORD_WEIGHT
    total = han + latin
    if total == 0:
        return UNKNOWN
    if han / total >= DOMINANT_SHARE:
        return CHINESE
    if latin / total >= DOMINANT_SHARE:
        return ENGLISH
    return MIXED
