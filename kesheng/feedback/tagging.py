"""Staff tags on feedback items: add or remove one tag on many items at once (the inbox's bulk
tag). Tags are free words (Chinese or English) chosen by the team, e.g. "双十一" or "recall"."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from kesheng.core.errors import FieldError, InvalidInput
from kesheng.core.events import emit
from kesheng.feedback.models import FeedbackItemTag
from kesheng.feedback.queries import visible_feedback

MAX_TAG_LENGTH = 40
MAX_ITEMS_PER_REQUEST = 500


def clean_tag(tag: str) -> str:
    """The tag as stored: trimmed, inner spaces kept single; InvalidInput when empty, too long
    or holding control characters."""
    cleaned = " ".join((tag or "").split())
    if not cleaned:
        raise InvalidInput([FieldError("tag", _("is required"))])
    if len(cleaned) > MAX_TAG_LENGTH:
        raise InvalidInput(
            [FieldError("tag", _("is longer than %(max)d characters") % {"max": MAX_TAG_LENGTH})]
        )
    if any(ord(char) < 32 or char in ",;" for char in cleaned):
        raise InvalidInput([FieldError("tag", _("may not hold commas or control characters"))])
    return cleaned


def tag_feedback_items(
    *,
    item_ids: list[int],
    tag: str,
    remove: bool = False,
    store_ids: frozenset[int] | None,
) -> int:
    """Add ``tag`` to the items (or take it off with ``remove``); every id must be an item the
    caller may see (``store_ids`` as in ``visible_feedback``), else InvalidInput naming the
    unknown ids and nothing changes. Returns how many items changed. Emits
    ``feedback.tagged``."""
    tag = clean_tag(tag)
    wanted = sorted(set(item_ids))
    if not wanted:
        raise InvalidInput([FieldError("items", _("select at least one item"))])
    if len(wanted) > MAX_ITEMS_PER_REQUEST:
        raise InvalidInput(
            [
                FieldError(
                    "items",
                    _("at most %(max)d items at once") % {"max": MAX_ITEMS_PER_REQUEST},
                )
            ]
        )
    found = set(visible_feedback(store_ids).filter(pk__in=wanted).values_list("pk", flat=True))
    missing = [item_id for item_id in wanted if item_id not in found]
    if missing:
        raise InvalidInput(
            [
                FieldError(
                    "items",
                    _("no feedback item %(ids)s, or not one of your stores")
                    % {"ids": ", ".join(str(item_id) for item_id in missing)},
                )
            ]
        )
    with transaction.atomic():
        if remove:
            changed, _rows = FeedbackItemTag.objects.filter(item_id__in=wanted, tag=tag).delete()
        else:
            already = set(
                FeedbackItemTag.objects.filter(item_id__in=wanted, tag=tag).values_list(
                    "item_id", flat=True
                )
            )
            new = [FeedbackItemTag(item_id=pk, tag=tag) for pk in wanted if pk not in already]
            FeedbackItemTag.objects.bulk_create(new, ignore_conflicts=True)
            changed = len(new)
        emit(
            "feedback.tagged",
            {"item_ids": wanted, "tag": tag, "removed": remove, "changed": changed},
        )
    return changed
