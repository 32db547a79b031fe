"""Chinese word segmentation: jieba with the retail/service dictionary shipped beside it.

A tokenizer of our own (not jieba's global one) so the shipped words and any user dictionary do
not leak into other code using jieba in the same process. jieba builds its prefix dictionary on
first use (about a second, cached on disk by jieba), so it is made lazily.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

DATA_DIRECTORY = Path(__file__).with_name("data")
RETAIL_DICTIONARY = DATA_DIRECTORY / "retail_dictionary.txt"

_lock = threading.Lock()
_tokenizer = None


def _load_tokenizer():
    import jieba

    # jieba logs its dictionary loading at DEBUG through its own handler on stderr.
    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.load_userdict(str(RETAIL_DICTIONARY))
    return tokenizer


def tokenizer():
    """The shared tokenizer, made on first use."""
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                _tokenizer = _load_tokenizer()
    return _tokenizer


def add_user_dictionary(path: str | Path) -> None:
    """Add a user dictionary (jieba's format: ``word [frequency] [part of speech]`` a line)."""
    tokenizer().load_userdict(str(path))


def segment(text: str) -> list[str]:
    """The words of ``text``, blanks dropped."""
    return [word for word in tokenizer().lcut(text) if word.strip()]
