"""The condition language of survey logic (docs/surveys.md, "the condition language").

A condition is parsed into a small tree by a tokenizer and a recursive-descent parser and then
evaluated against the answers; nothing is ever handed to ``eval``. Parsing is cached by text, so
a condition read on every page view is parsed once per process.

Pure module: no Django imports. Messages a person reads are ``Message`` strings: plain English
text that keeps its untranslated template, so a caller can show it in another language with
``message.translate(gettext)``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any


def gettext_noop(text: str) -> str:
    """Marks a message for the translation catalogue; the translation happens where it is shown."""
    return text


class Message(str):
    """English text that also keeps its template and parameters for translation.

    It is a ``str`` (JSON-serialisable, comparable with plain text); ``localize(gettext)``
    (or ``translate(gettext)``) renders the template through a translation function such as
    Django's ``gettext``. ``localize_reason`` does the same for any text.
    """

    template: str
    params: dict[str, Any]

    def __new__(cls, template: str, **params: Any) -> Message:
        message = super().__new__(cls, template % params if params else template)
        message.template = template
        message.params = params
        return message

    def localize(self, gettext: Callable[[str], str]) -> str:
        """The message through a translation function such as Django's ``gettext``."""
        translated = gettext(self.template)
        return translated % self.params if self.params else translated

    def translate(self, table_or_gettext: Any) -> str:  # type: ignore[override]
        """``localize`` when given a translation function; ``str.translate`` for a table."""
        if callable(table_or_gettext):
            return self.localize(table_or_gettext)
        return str.translate(self, table_or_gettext)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_message, (self.template, self.params))


def localize_reason(reason: str, gettext: Callable[[str], str]) -> str:
    """A reason in the active language: a ``Message`` through ``gettext``, plain text as is."""
    if isinstance(reason, Message):
        return reason.localize(gettext)
    return str(reason)


def _rebuild_message(template: str, params: dict[str, Any]) -> Message:
    return Message(template, **params)


class ConditionError(ValueError):
    """A condition that cannot be parsed; ``position`` counts characters from 1."""

    def __init__(self, message: Message, position: int | None = None):
        super().__init__(message)
        self.message = message
        self.position = position


# --- tokens --------------------------------------------------------------------------------------

KEYWORDS = frozenset(
    {
        "and",
        "or",
        "not",
        "contains",
        "notcontains",
        "anyof",
        "allof",
        "empty",
        "notempty",
        "true",
        "false",
    }
)
COMPARISON_OPERATORS = frozenset(
    {"=", "!=", "<", "<=", ">", ">=", "contains", "notcontains", "anyof", "allof"}
)
POSTFIX_OPERATORS = frozenset({"empty", "notempty"})
# Longest first, so "<=" is not read as "<" followed by "=".
_SYMBOLS = ("&&", "||", "==", "!=", "<=", ">=", "<", ">", "=", "!", "(", ")", "[", "]", ",")
_SYMBOL_ALIASES = {"&&": "and", "||": "or", "!": "not", "==": "="}
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
MAX_CONDITION_LENGTH = 2000
MAX_NESTING = 50


@dataclass(frozen=True)
class Token:
    kind: str  # "var", "number", "string", "keyword", "symbol", "end"
    value: Any
    position: int  # from 1
    text: str  # as written, for error messages


def tokenize(text: str) -> list[Token]:
    """The tokens of ``text``, ending with an "end" token. Raises ConditionError."""
    tokens: list[Token] = []
    index = 0
    length = len(text)
    while index < length:
        char = text[index]
        if char.isspace():
            index += 1
            continue
        start = index
        if char == "{":
            index = _read_reference(text, index, tokens)
            continue
        if char in "'\"":
            index = _read_string(text, index, tokens)
            continue
        number = _NUMBER.match(text, index)
        if number and (char != "-" or _minus_is_sign(tokens)):
            literal = number.group()
            value: int | float = float(literal) if "." in literal else int(literal)
            tokens.append(Token("number", value, start + 1, literal))
            index = number.end()
            continue
        word = _WORD.match(text, index)
        if word:
            lowered = word.group().lower()
            if lowered not in KEYWORDS:
                raise ConditionError(
                    Message(
                        gettext_noop(
                            "unknown word '%(word)s' at %(position)s "
                            "(a question is written {name}, a text in quotes)"
                        ),
                        word=word.group(),
                        position=start + 1,
                    ),
                    start + 1,
                )
            tokens.append(Token("keyword", lowered, start + 1, word.group()))
            index = word.end()
            continue
        for symbol in _SYMBOLS:
            if text.startswith(symbol, index):
                canonical = _SYMBOL_ALIASES.get(symbol, symbol)
                kind = "keyword" if canonical in KEYWORDS else "symbol"
                tokens.append(Token(kind, canonical, start + 1, symbol))
                index += len(symbol)
                break
        else:
            raise ConditionError(
                Message(
                    gettext_noop("unexpected '%(text)s' at %(position)s"),
                    text=char,
                    position=start + 1,
                ),
                start + 1,
            )
    tokens.append(Token("end", None, length + 1, ""))
    return tokens


def _minus_is_sign(tokens: list[Token]) -> bool:
    # "-1" is a number unless it follows an operand ("{a} -1" is not subtraction either; the
    # language has no arithmetic, so the parser reports it as unexpected).
    if not tokens:
        return True
    previous = tokens[-1]
    return previous.kind not in ("var", "number", "string") and previous.value not in (
        ")",
        "]",
        "true",
        "false",
    )


def _read_reference(text: str, index: int, tokens: list[Token]) -> int:
    start = index
    close = text.find("}", index)
    if close == -1:
        raise ConditionError(
            Message(gettext_noop("'{' at %(position)s is never closed"), position=start + 1),
            start + 1,
        )
    inner = text[index + 1 : close].strip()
    name, _, row = inner.partition(".")
    name = name.strip()
    row = row.strip()
    if not _NAME.fullmatch(name) or ("." in inner and not row) or "{" in inner:
        raise ConditionError(
            Message(
                gettext_noop(
                    "'{%(inner)s}' at %(position)s is not a question name "
                    "(letters, digits and _, starting with a letter)"
                ),
                inner=inner,
                position=start + 1,
            ),
            start + 1,
        )
    tokens.append(Token("var", (name, row or None), start + 1, text[start : close + 1]))
    return close + 1


def _read_string(text: str, index: int, tokens: list[Token]) -> int:
    quote = text[index]
    start = index
    index += 1
    parts: list[str] = []
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            parts.append(text[index + 1])
            index += 2
            continue
        if char == quote:
            tokens.append(Token("string", "".join(parts), start + 1, text[start : index + 1]))
            return index + 1
        parts.append(char)
        index += 1
    raise ConditionError(
        Message(gettext_noop("the text at %(position)s is never closed"), position=start + 1),
        start + 1,
    )


# --- the tree ------------------------------------------------------------------------------------


class _Missing:
    """The value of a question that was not answered (or is hidden)."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


class Node:
    def value(self, answers: Mapping[str, Any]) -> Any:
        raise NotImplementedError

    def names(self) -> Iterator[tuple[str, str | None]]:
        return iter(())


@dataclass(frozen=True)
class Literal(Node):
    literal: Any

    def value(self, answers: Mapping[str, Any]) -> Any:
        return self.literal


@dataclass(frozen=True)
class ListLiteral(Node):
    items: tuple[Node, ...]

    def value(self, answers: Mapping[str, Any]) -> Any:
        values = [item.value(answers) for item in self.items]
        return [value for value in values if value is not MISSING]

    def names(self) -> Iterator[tuple[str, str | None]]:
        for item in self.items:
            yield from item.names()


@dataclass(frozen=True)
class Reference(Node):
    name: str
    row: str | None

    def value(self, answers: Mapping[str, Any]) -> Any:
        answer = answers.get(self.name, MISSING)
        if self.row is not None:
            answer = answer.get(self.row, MISSING) if isinstance(answer, Mapping) else MISSING
        return MISSING if _is_unanswered(answer) else answer

    def names(self) -> Iterator[tuple[str, str | None]]:
        yield (self.name, self.row)


@dataclass(frozen=True)
class Comparison(Node):
    operator: str
    left: Node
    right: Node

    def value(self, answers: Mapping[str, Any]) -> Any:
        return _compare(self.operator, self.left.value(answers), self.right.value(answers))

    def names(self) -> Iterator[tuple[str, str | None]]:
        yield from self.left.names()
        yield from self.right.names()


@dataclass(frozen=True)
class Emptiness(Node):
    operand: Node
    wants_empty: bool

    def value(self, answers: Mapping[str, Any]) -> Any:
        return (self.operand.value(answers) is MISSING) == self.wants_empty

    def names(self) -> Iterator[tuple[str, str | None]]:
        yield from self.operand.names()


@dataclass(frozen=True)
class Not(Node):
    operand: Node

    def value(self, answers: Mapping[str, Any]) -> Any:
        return not _holds(self.operand.value(answers))

    def names(self) -> Iterator[tuple[str, str | None]]:
        yield from self.operand.names()


@dataclass(frozen=True)
class Junction(Node):
    operator: str  # "and" / "or"
    operands: tuple[Node, ...]

    def value(self, answers: Mapping[str, Any]) -> Any:
        if self.operator == "and":
            return all(_holds(operand.value(answers)) for operand in self.operands)
        return any(_holds(operand.value(answers)) for operand in self.operands)

    def names(self) -> Iterator[tuple[str, str | None]]:
        for operand in self.operands:
            yield from operand.names()


@dataclass(frozen=True)
class Condition:
    """A parsed condition. ``evaluate`` never raises, whatever the answers hold."""

    text: str
    root: Node

    def evaluate(self, answers: Mapping[str, Any]) -> bool:
        return _holds(self.root.value(answers))

    @functools.cached_property
    def references(self) -> frozenset[tuple[str, str | None]]:
        """Every ``(question name, matrix row or None)`` the condition reads."""
        return frozenset(self.root.names())

    @functools.cached_property
    def names(self) -> frozenset[str]:
        """The names of the questions the condition reads."""
        return frozenset(name for name, _ in self.references)


# --- parser --------------------------------------------------------------------------------------


class _Parser:
    def __init__(self, text: str):
        self.tokens = tokenize(text)
        self.index = 0
        self.depth = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def at(self, *values: str) -> bool:
        token = self.current
        return token.kind in ("keyword", "symbol") and token.value in values

    def expect(self, value: str) -> Token:
        if not self.at(value):
            raise self.unexpected(expected=value)
        return self.advance()

    def unexpected(self, expected: str | None = None) -> ConditionError:
        token = self.current
        if token.kind == "end":
            if expected:
                message = Message(
                    gettext_noop("'%(expected)s' missing at the end (%(position)s)"),
                    expected=expected,
                    position=token.position,
                )
            else:
                message = Message(
                    gettext_noop("the condition ends too early (at %(position)s)"),
                    position=token.position,
                )
        elif expected:
            message = Message(
                gettext_noop("expected '%(expected)s' but found '%(text)s' at %(position)s"),
                expected=expected,
                text=token.text,
                position=token.position,
            )
        else:
            message = Message(
                gettext_noop("unexpected '%(text)s' at %(position)s"),
                text=token.text,
                position=token.position,
            )
        return ConditionError(message, token.position)

    def parse(self) -> Node:
        if self.current.kind == "end":
            raise ConditionError(Message(gettext_noop("the condition is empty")), 1)
        node = self.or_expression()
        if self.current.kind != "end":
            raise self.unexpected()
        return node

    def nested(self) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise ConditionError(
                Message(
                    gettext_noop("the condition nests too deeply (at %(position)s)"),
                    position=self.current.position,
                ),
                self.current.position,
            )

    def or_expression(self) -> Node:
        operands = [self.and_expression()]
        while self.at("or"):
            self.advance()
            operands.append(self.and_expression())
        return operands[0] if len(operands) == 1 else Junction("or", tuple(operands))

    def and_expression(self) -> Node:
        operands = [self.not_expression()]
        while self.at("and"):
            self.advance()
            operands.append(self.not_expression())
        return operands[0] if len(operands) == 1 else Junction("and", tuple(operands))

    def not_expression(self) -> Node:
        if self.at("not"):
            self.advance()
            self.nested()
            node = Not(self.not_expression())
            self.depth -= 1
            return node
        return self.comparison()

    def comparison(self) -> Node:
        left = self.operand()
        if self.current.kind in ("keyword", "symbol"):
            operator = self.current.value
            if operator in POSTFIX_OPERATORS:
                self.advance()
                return Emptiness(left, wants_empty=operator == "empty")
            if operator in COMPARISON_OPERATORS:
                self.advance()
                return Comparison(operator, left, self.operand())
        return left

    def operand(self) -> Node:
        token = self.current
        if token.kind == "var":
            self.advance()
            name, row = token.value
            return Reference(name, row)
        if token.kind in ("number", "string"):
            self.advance()
            return Literal(token.value)
        if self.at("true", "false"):
            self.advance()
            return Literal(token.value == "true")
        if self.at("["):
            self.advance()
            items = [self.list_item()]
            while self.at(","):
                self.advance()
                items.append(self.list_item())
            self.expect("]")
            return ListLiteral(tuple(items))
        if self.at("("):
            self.advance()
            self.nested()
            node = self.or_expression()
            self.depth -= 1
            self.expect(")")
            return node
        raise self.unexpected()

    def list_item(self) -> Node:
        if self.at("[", "("):
            raise self.unexpected()
        return self.operand()


def parse_condition(text: str) -> Condition:
    """The parsed condition; raises ConditionError naming what is wrong and where."""
    if not isinstance(text, str):
        raise ConditionError(Message(gettext_noop("a condition is a text")), None)
    return _parse_cached(str(text))


@functools.lru_cache(maxsize=4096)
def _parse_cached(text: str) -> Condition:
    if len(text) > MAX_CONDITION_LENGTH:
        raise ConditionError(
            Message(
                gettext_noop("a condition is at most %(limit)s characters"),
                limit=MAX_CONDITION_LENGTH,
            ),
            None,
        )
    return Condition(text, _Parser(text).parse())


def evaluate_condition(text: str | None, answers: Mapping[str, Any]) -> bool:
    """Whether the condition holds; no condition (None or blank) always holds.

    Raises ConditionError for a condition that does not parse; definitions are validated before
    they are saved, so that only happens with a definition that skipped validation.
    """
    if text is None or (isinstance(text, str) and not text.strip()):
        return True
    return parse_condition(text).evaluate(answers)


# --- evaluation ----------------------------------------------------------------------------------


def _is_unanswered(value: Any) -> bool:
    if value is None or value is MISSING:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (list, tuple, dict)):
        return len(value) == 0
    return False


def _holds(value: Any) -> bool:
    """An operand used alone: true, a non-zero number, a non-empty text or list."""
    if value is MISSING:
        return False
    return bool(value)


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        return float(value.strip())
    return None


def _equal(left: Any, right: Any) -> bool:
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if isinstance(left, (list, tuple)) or isinstance(right, (list, tuple)):
        if not (isinstance(left, (list, tuple)) and isinstance(right, (list, tuple))):
            return False
        return len(left) == len(right) and all(map(_equal, left, right))
    if isinstance(left, Mapping) or isinstance(right, Mapping):
        return left == right
    left_number, right_number = _as_number(left), _as_number(right)
    if left_number is not None and right_number is not None:
        return left_number == right_number
    if isinstance(left, Mapping) and isinstance(right, Mapping):
        return left == right
    if isinstance(left, str) and isinstance(right, str):
        return left == right
    return False


def _order(left: Any, right: Any) -> int | None:
    """-1, 0 or 1 when the two compare (numbers, or texts such as dates), else None."""
    left_number, right_number = _as_number(left), _as_number(right)
    if left_number is not None and right_number is not None:
        return (left_number > right_number) - (left_number < right_number)
    if isinstance(left, str) and isinstance(right, str):
        return (left > right) - (left < right)
    return None


def _values_of(value: Any) -> Sequence[Any]:
    if isinstance(value, (list, tuple)):
        return value
    return [value]


def _contains(container: Any, item: Any) -> bool:
    if isinstance(container, (list, tuple)):
        if isinstance(item, (list, tuple)):
            return all(_contains(container, part) for part in item)
        return any(_equal(element, item) for element in container)
    if isinstance(container, str):
        if isinstance(item, (list, tuple)):
            return all(_contains(container, part) for part in item)
        if isinstance(item, (str, int, float)) and not isinstance(item, bool):
            return _text_of(item) in container
    return False


def _text_of(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _compare(operator: str, left: Any, right: Any) -> bool:
    if left is MISSING or right is MISSING:
        return operator == "!="
    if operator == "=":
        return _equal(left, right)
    if operator == "!=":
        return not _equal(left, right)
    if operator in ("<", "<=", ">", ">="):
        order = _order(left, right)
        if order is None:
            return False
        return {"<": order < 0, "<=": order <= 0, ">": order > 0, ">=": order >= 0}[operator]
    if operator == "contains":
        return _contains(left, right)
    if operator == "notcontains":
        return not _contains(left, right)
    wanted = _values_of(right)
    given = _values_of(left)
    if operator == "anyof":
        return any(_equal(have, want) for have in given for want in wanted)
    if operator == "allof":
        return bool(wanted) and all(any(_equal(have, want) for have in given) for want in wanted)
    return False
