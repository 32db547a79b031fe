"""State changes of the feedback hub's categories: a person's correction of an item's
categories or sentiment, and retraining the category classifier from those corrections.

(Kept apart from ``actions.py``, which is past the size where it becomes a package.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from kesheng.accounts.actions import record_audit_entry
from kesheng.core.errors import FieldError, InvalidInput
from kesheng.core.events import emit
from kesheng.feedback.models import (
    AnalysisStatus,
    CategoryModel,
    FeedbackCorrection,
    FeedbackItem,
    SentimentLabel,
)
from kesheng.feedback.queries import list_category_examples
from kesheng.feedback.text.aspects import aspect_sentiments
from kesheng.feedback.text.categories import active_taxonomy, train_classifier

# A corrected sentiment's score: the middle of its label's range, so sorting and averages
# still read it (the model's own score is kept in the correction row).
CORRECTED_SCORES = {
    SentimentLabel.POSITIVE: 0.6,
    SentimentLabel.NEUTRAL: 0.0,
    SentimentLabel.NEGATIVE: -0.6,
}


def _checked_categories(categories: Sequence[str] | None) -> list[str] | None:
    if categories is None:
        return None
    taxonomy = active_taxonomy()
    unknown = sorted({key for key in categories if key not in taxonomy.keys})
    if unknown:
        raise InvalidInput(
            [
                FieldError(
                    "categories",
                    _("%(keys)s: not a category of the taxonomy") % {"keys": ", ".join(unknown)},
                )
            ]
        )
    return taxonomy.order(categories)


def correct_feedback(
    *,
    item: FeedbackItem,
    corrected_by,
    categories: Sequence[str] | None = None,
    sentiment: str | None = None,
) -> FeedbackCorrection | None:
    """Correct an item's categories and/or sentiment as a person reads it.

    Stores the new values on the item (marked as corrected, so analysing the same text again
    keeps them; aspects follow the corrected categories), a ``FeedbackCorrection`` row with
    who, when, the text and the values before and after (the examples ``kesheng feedback
    train`` learns from), and an audit entry; emits ``feedback.corrected``. ``None`` leaves
    a part as it is; a correction that changes nothing stores nothing and returns None.
    Raises InvalidInput on ``categories`` (an unknown key) or ``sentiment``."""
    if categories is None and not sentiment:
        raise InvalidInput([FieldError("categories", _("give categories or a sentiment"))])
    if sentiment and sentiment not in SentimentLabel.values:
        raise InvalidInput([FieldError("sentiment", _("must be positive, neutral or negative"))])
    new_categories = _checked_categories(categories)
    with transaction.atomic():
        item = FeedbackItem.objects.select_for_update().get(pk=item.pk)
        categories_change = new_categories is not None and (
            new_categories != item.categories or not item.categories_corrected
        )
        sentiment_change = bool(sentiment) and (
            sentiment != item.sentiment or not item.sentiment_corrected
        )
        if not categories_change and not sentiment_change:
            return None
        correction = FeedbackCorrection.objects.create(
            item=item,
            corrected_by=corrected_by if getattr(corrected_by, "pk", None) else None,
            text=item.text,
            previous_categories=list(item.categories or []),
            categories=new_categories if categories_change else None,
            previous_sentiment=item.sentiment,
            sentiment=sentiment if sentiment_change else "",
        )
        fields = []
        if categories_change:
            item.categories = new_categories
            item.categories_corrected = True
            fields += ["categories", "categories_corrected"]
        if sentiment_change:
            item.sentiment = sentiment
            item.sentiment_score = CORRECTED_SCORES[SentimentLabel(sentiment)]
            item.sentiment_corrected = True
            fields += ["sentiment", "sentiment_score", "sentiment_corrected"]
        if categories_change and item.analysis_status == AnalysisStatus.ANALYSED:
            item.aspects = [
                aspect.as_dict()
                for aspect in aspect_sentiments(
                    item.text, item.categories, whole_text_score=item.sentiment_score or 0.0
                )
            ]
            fields.append("aspects")
        item.save(update_fields=fields)
        details = {
            "categories": [correction.previous_categories, correction.categories],
            "sentiment": [correction.previous_sentiment, correction.sentiment],
        }
        record_audit_entry(
            actor=correction.corrected_by,
            action="feedback.corrected",
            target=f"feedback item {item.pk}",
            details=details,
        )
        emit(
            "feedback.corrected",
            {"item_id": item.pk, "correction_id": correction.pk, **details},
        )
    return correction


@dataclass(frozen=True)
class CategoryTraining:
    examples: int
    learned: list[str]  # the categories with a learned model; the others use rules alone
    version: str  # "" when nothing could be learned (rules alone)


def train_category_model() -> CategoryTraining:
    """Retrain the category classifier from every stored category correction (the latest
    per item) and store it as the new current ``CategoryModel``; items analysed from now on
    use it. With too few corrections nothing is stored and the rules work alone. Emits
    ``feedback.category_model_trained`` when a model is stored."""
    examples = list_category_examples()
    classifier = train_classifier(examples, active_taxonomy())
    if classifier is None:
        return CategoryTraining(examples=len(examples), learned=[], version="")
    with transaction.atomic():
        CategoryModel.objects.create(
            version=classifier.version,
            examples=classifier.examples,
            categories=list(classifier.keys),
            arrays=classifier.to_bytes(),
        )
        emit(
            "feedback.category_model_trained",
            {"version": classifier.version, "categories": list(classifier.keys)},
        )
    return CategoryTraining(
        examples=classifier.examples, learned=list(classifier.keys), version=classifier.version
    )
