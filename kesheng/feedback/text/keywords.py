"""Keywords of one comment: its content words, most frequent first.

Chinese is cut by :mod:`.segment`; words of one character, numbers, punctuation and the
function words below are left out (they say nothing about the topic). English keeps words of
three letters or more outside a short stop list.
"""

from __future__ import annotations

import re
from collections import Counter

from kesheng.feedback.text.language import ENGLISH
from kesheng.feedback.text.segment import segment

STOPWORDS_ZH = frozenset(
    [
        "我们",
        "你们",
        "他们",
        "她们",
        "它们",
        "这个",
        "那个",
        "这些",
        "那些",
        "这样",
        "那样",
        "这里",
        "那里",
        "什么",
        "怎么",
        "为什么",
        "一个",
        "一下",
        "一些",
        "一点",
        "一直",
        "一样",
        "已经",
        "还是",
        "就是",
        "但是",
        "可是",
        "不过",
        "因为",
        "所以",
        "如果",
        "虽然",
        "而且",
        "然后",
        "还有",
        "以后",
        "之后",
        "之前",
        "时候",
        "现在",
        "今天",
        "昨天",
        "明天",
        "感觉",
        "觉得",
        "还是",
        "非常",
        "特别",
        "真的",
        "比较",
        "有点",
        "有些",
        "可以",
        "应该",
        "没有",
        "不是",
        "不会",
        "不能",
        "自己",
        "大家",
        "东西",
        "知道",
        "出来",
        "起来",
        "这次",
        "那次",
        "一次",
        "还算",
        "挺好",
        "的话",
        "而已",
        "不错",
    ]
)
STOPWORDS_EN = frozenset(
    [
        "the",
        "and",
        "for",
        "was",
        "were",
        "are",
        "this",
        "that",
        "with",
        "have",
        "has",
        "had",
        "but",
        "not",
        "you",
        "your",
        "our",
        "they",
        "their",
        "them",
        "very",
        "really",
        "just",
        "from",
        "there",
        "here",
        "what",
        "when",
        "then",
        "than",
        "too",
        "also",
        "its",
        "it's",
        "i'm",
        "we're",
        "been",
        "being",
        "would",
        "could",
        "should",
        "will",
        "can",
        "about",
        "into",
        "out",
        "all",
        "any",
        "some",
        "more",
        "most",
        "much",
    ]
)
_CONTENT_ZH = re.compile(r"^[\u4e00-\u9fffA-Za-z][\u4e00-\u9fffA-Za-z0-9]+$")
_WORD_EN = re.compile(r"[a-z][a-z']{2,}")
MAX_KEYWORDS = 8


def extract_keywords(text: str, language: str, limit: int = MAX_KEYWORDS) -> list[str]:
    if language == ENGLISH:
        words = [word for word in _WORD_EN.findall(text.lower()) if word not in STOPWORDS_EN]
    else:
        words = [
            word.lower()
            for word in segment(text)
            if _CONTENT_ZH.match(word) and word not in STOPWORDS_ZH
        ]
    # Counter keeps first-seen order among equal counts, so ties go to the earlier word.
    return [word for word, _ in Counter(words).most_common(limit)]
