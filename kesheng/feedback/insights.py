"""What the inbox shows beside the list about categories: the category × store heat map and
this week's emerging topics, shaped for the page (the numbers come from ``queries``)."""

from __future__ import annotations

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from kesheng.feedback.queries import (
    FeedbackFilters,
    count_categories_by_store,
    list_emerging_topics,
)
from kesheng.feedback.text.categories import active_taxonomy


def category_store_heatmap(
    filters: FeedbackFilters, *, store_ids: frozenset[int] | None
) -> dict | None:
    """Rows: categories (taxonomy order); columns: stores (most items first); each cell the
    number of items, with the negative share in its hover text. None when nothing is
    categorised."""
    cells = count_categories_by_store(filters, store_ids=store_ids)
    if not cells:
        return None
    taxonomy = active_taxonomy()
    language = get_language() or "zh-hans"
    keys = taxonomy.order({cell.category for cell in cells})
    totals: dict[int | None, int] = {}
    names: dict[int | None, str] = {}
    for cell in cells:
        totals[cell.store_id] = totals.get(cell.store_id, 0) + cell.count
        names[cell.store_id] = cell.store_name or _("no store")
    stores = sorted(totals, key=lambda store: (-totals[store], names[store]))
    by_place = {(cell.category, cell.store_id): cell for cell in cells}
    counts, hover = [], []
    for key in keys:
        row_counts, row_hover = [], []
        for store in stores:
            cell = by_place.get((key, store))
            count = cell.count if cell else 0
            negative = cell.negative if cell else 0
            row_counts.append(count)
            row_hover.append(
                _("%(count)d items, %(negative)d negative") % {"count": count, "negative": negative}
            )
        counts.append(row_counts)
        hover.append(row_hover)
    labels = [taxonomy.label(key, language) for key in keys]
    return {
        "categories": labels,
        "rows": [
            {"label": label, "counts": row} for label, row in zip(labels, counts, strict=True)
        ],
        "category_keys": keys,
        "stores": [names[store] for store in stores],
        "counts": counts,
        "hover": hover,
    }


def category_insights(filters: FeedbackFilters, *, store_ids: frozenset[int] | None) -> dict:
    """The context of ``feedback/_category_insights.html``."""
    heatmap = category_store_heatmap(filters, store_ids=store_ids)
    report = list_emerging_topics(store_ids=store_ids, days=7, limit=10)
    return {
        "category_heatmap": heatmap,
        "emerging_topics": {
            "comments": report.comments,
            "baseline_comments": report.baseline_comments,
            "topics": [
                {
                    "term": topic.term,
                    "count": topic.count,
                    "share": f"{100 * topic.share:.1f} %",
                    "baseline_share": f"{100 * topic.baseline_share:.1f} %",
                }
                for topic in report.topics
            ],
        },
    }
