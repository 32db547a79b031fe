"""Changes the survey editor makes to a definition (pure: no Django).

Every function takes a definition and returns a new one (the argument is never changed), so
the editor can hand the result to ``actions.surveys.update_definition``, which validates it
and versions it; a change that makes the definition invalid is refused there with every
problem named, and nothing is saved.
"""

import copy
import re
from collections.abc import Mapping
from typing import Any

from kesheng.surveys.logic import Message, gettext_noop

FORMAT = "kesheng-survey/1"


class EditError(ValueError):
    """The change names a page or question the definition does not have."""


def _text(zh: str, en: str) -> dict:
    return {key: value for key, value in (("zh-hans", zh), ("en", en)) if value}


def starter_question(name: str) -> dict:
    """The question a new page or a blank survey starts with, to be edited."""
    return {
        "name": name,
        "type": "csat",
        "title": _text("您对我们的整体满意度如何？", "How satisfied are you with us overall?"),
        "required": True,
    }


def blank_definition(title_zh: str, title_en: str = "") -> dict:
    return {
        "format": FORMAT,
        "languages": ["zh-hans", "en"],
        "default_language": "zh-hans",
        "title": _text(title_zh, title_en or title_zh),
        "thank_you": _text("感谢您的反馈！", "Thank you for your feedback!"),
        "show_progress": True,
        "pages": [{"name": "p1", "questions": [starter_question("q1")]}],
    }


def _pages(definition: Mapping) -> list[dict]:
    return definition.get("pages") or []


def _all_names(definition: Mapping) -> set[str]:
    names: set[str] = set()
    for page in _pages(definition):
        names.add(str(page.get("name")))
        names.update(str(question.get("name")) for question in page.get("questions") or [])
    return names


def next_name(definition: Mapping, prefix: str) -> str:
    """The first free ``<prefix><number>`` (``q3``, ``p2``) not used by a page or question."""
    taken = _all_names(definition)
    numbers = [
        int(match.group(1)) for name in taken if (match := re.fullmatch(rf"{prefix}(\d+)", name))
    ]
    number = max(numbers, default=0) + 1
    while f"{prefix}{number}" in taken:
        number += 1
    return f"{prefix}{number}"


def find_question(definition: Mapping, name: str) -> tuple[int, int]:
    """(page index, question index) of the named question; raises EditError."""
    for page_index, page in enumerate(_pages(definition)):
        for question_index, question in enumerate(page.get("questions") or []):
            if question.get("name") == name:
                return page_index, question_index
    raise EditError(f"no question is named {name}")


def find_page(definition: Mapping, name: str) -> int:
    for page_index, page in enumerate(_pages(definition)):
        if page.get("name") == name:
            return page_index
    raise EditError(f"no page is named {name}")


def add_question(definition: Mapping, page_name: str, question: Mapping) -> dict:
    """Append ``question`` to the end of the page."""
    changed = copy.deepcopy(dict(definition))
    page = changed["pages"][find_page(changed, page_name)]
    page.setdefault("questions", []).append(dict(question))
    return changed


def replace_question(
    definition: Mapping, name: str, question: Mapping, page_name: str | None = None
) -> dict:
    """Put ``question`` in place of the named one; with ``page_name`` of another page, move it
    to the end of that page."""
    changed = copy.deepcopy(dict(definition))
    page_index, question_index = find_question(changed, name)
    questions = changed["pages"][page_index]["questions"]
    if page_name is None or changed["pages"][page_index].get("name") == page_name:
        questions[question_index] = dict(question)
        return changed
    target = find_page(changed, page_name)
    del questions[question_index]
    changed["pages"][target].setdefault("questions", []).append(dict(question))
    return changed


def move_question(definition: Mapping, name: str, offset: int) -> dict:
    """Move the question up (-1) or down (+1) within its page; past the page's first or last
    place it goes to the end of the previous page or the start of the next. At the very
    start or end of the survey nothing changes."""
    changed = copy.deepcopy(dict(definition))
    page_index, question_index = find_question(changed, name)
    pages = changed["pages"]
    questions = pages[page_index]["questions"]
    target = question_index + offset
    if 0 <= target < len(questions):
        questions[question_index], questions[target] = questions[target], questions[question_index]
    elif target < 0 and page_index > 0:
        pages[page_index - 1].setdefault("questions", []).append(questions.pop(question_index))
    elif target >= len(questions) and page_index + 1 < len(pages):
        pages[page_index + 1].setdefault("questions", []).insert(0, questions.pop(question_index))
    return changed


def delete_question(definition: Mapping, name: str) -> dict:
    changed = copy.deepcopy(dict(definition))
    page_index, question_index = find_question(changed, name)
    del changed["pages"][page_index]["questions"][question_index]
    return changed


def add_page(definition: Mapping) -> tuple[dict, str]:
    """A new last page holding a starter question; returns the definition and the page name."""
    changed = copy.deepcopy(dict(definition))
    page_name = next_name(changed, "p")
    question_name = next_name(changed, "q")
    changed.setdefault("pages", []).append(
        {"name": page_name, "questions": [starter_question(question_name)]}
    )
    return changed, page_name


def update_page(definition: Mapping, name: str, fields: Mapping[str, Any]) -> dict:
    """Set the page's name, title, description, visible_if and skip rules (a None or empty
    value removes the key). Renaming a page also renames it in other pages' skip rules."""
    changed = copy.deepcopy(dict(definition))
    page = changed["pages"][find_page(changed, name)]
    for key, value in fields.items():
        if value in (None, "", [], {}):
            if key != "name":
                page.pop(key, None)
        else:
            page[key] = value
    new_name = fields.get("name")
    if new_name and new_name != name:
        for other in changed["pages"]:
            for rule in other.get("skip") or []:
                if rule.get("to") == name:
                    rule["to"] = new_name
    return changed


def move_page(definition: Mapping, name: str, offset: int) -> dict:
    changed = copy.deepcopy(dict(definition))
    index = find_page(changed, name)
    target = index + offset
    pages = changed["pages"]
    if 0 <= target < len(pages):
        pages[index], pages[target] = pages[target], pages[index]
    return changed


def delete_page(definition: Mapping, name: str) -> dict:
    changed = copy.deepcopy(dict(definition))
    del changed["pages"][find_page(changed, name)]
    return changed


# --- the editor's text formats -----------------------------------------------------------------


def parse_items(text: str) -> tuple[list[dict], list[Message]]:
    """Choices or rows, one per line as ``value|中文|English`` (the English part optional, the
    value alone allowed). Returns the items and a reason for each bad line."""
    items, problems = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        parts = [part.strip() for part in line.split("|", 2)]
        value = parts[0]
        if not value:
            problems.append(
                Message(
                    gettext_noop("line %(number)s: the value before the first | is missing"),
                    number=number,
                )
            )
            continue
        zh = parts[1] if len(parts) > 1 else ""
        en = parts[2] if len(parts) > 2 else ""
        items.append({"value": value, "text": _text(zh or value, en)})
    return items, problems


def format_items(items: list[Mapping] | None) -> str:
    lines = []
    for item in items or []:
        text = item.get("text") or {}
        if isinstance(text, str):
            text = {"zh-hans": text}
        parts = [str(item.get("value", "")), text.get("zh-hans", ""), text.get("en", "")]
        while len(parts) > 1 and not parts[-1]:
            parts.pop()
        lines.append("|".join(parts))
    return "\n".join(lines)


def parse_skip_rules(text: str) -> tuple[list[dict], list[Message]]:
    """Skip rules, one per line as ``condition | page name or end``."""
    rules, problems = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        condition, separator, target = line.rpartition("|")
        # The target is a page name, which never holds "|", so the last one separates; a
        # condition may itself contain "||".
        if not separator or not condition.strip() or not target.strip():
            problems.append(
                Message(
                    gettext_noop(
                        "line %(number)s: write the condition, then | and the page to go to"
                    ),
                    number=number,
                )
            )
            continue
        rules.append({"if": condition.strip(), "to": target.strip()})
    return rules, problems


def format_skip_rules(rules: list[Mapping] | None) -> str:
    return "\n".join(f"{rule.get('if', '')} | {rule.get('to', '')}" for rule in rules or [])


# --- renames -----------------------------------------------------------------------------------


def _questions_by_name(definition: Any) -> dict[str, tuple[tuple[int, int], Any]]:
    """name -> ((page index, question index), title) of every well-formed question; anything
    malformed is passed over (the definition check reports it)."""
    found: dict[str, tuple[tuple[int, int], Any]] = {}
    pages = definition.get("pages") if isinstance(definition, Mapping) else None
    for page_index, page in enumerate(pages if isinstance(pages, list) else []):
        questions = page.get("questions") if isinstance(page, Mapping) else None
        for question_index, question in enumerate(questions if isinstance(questions, list) else []):
            if isinstance(question, Mapping) and isinstance(question.get("name"), str):
                found.setdefault(
                    question["name"], ((page_index, question_index), question.get("title"))
                )
    return found


def renamed_questions(before: Mapping, after: Any) -> list[tuple[str, str]]:
    """The questions of ``before`` that ``after`` seems to rename, as (old name, new name):
    a name that disappears while a new one appears with the same place (page and position)
    and title, else the same title, else the same place. Sorted by old name."""
    old, new = _questions_by_name(before), _questions_by_name(after)
    gone = [name for name in old if name not in new]
    came = [name for name in new if name not in old]
    renames: list[tuple[str, str]] = []
    rules = (
        lambda o, n: old[o] == new[n],  # same place and title
        lambda o, n: old[o][1] == new[n][1],  # moved, same title
        lambda o, n: old[o][0] == new[n][0],  # same place, new title
    )
    for same in rules:
        for old_name in list(gone):
            new_name = next((name for name in came if same(old_name, name)), None)
            if new_name is not None:
                renames.append((old_name, new_name))
                gone.remove(old_name)
                came.remove(new_name)
    return sorted(renames)


def rename_token(renames: list[tuple[str, str]]) -> str:
    """The value that confirms exactly these renames (names hold no ``>`` or ``,``)."""
    return ",".join(f"{old}>{new}" for old, new in sorted(renames))


def keep_tool_notes(old_question: Mapping, new_question: Mapping) -> dict:
    """``new_question`` with the ``x_`` keys of ``old_question`` (tools' own notes, which the
    form does not show) carried over."""
    notes = {key: value for key, value in old_question.items() if str(key).startswith("x_")}
    return {**notes, **new_question}
