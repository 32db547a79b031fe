"""Cross-sell recommendations for a customer (docs/analytics.md, "Cross-sell"): the pair
counts come grouped from the database for the customer's own products only, and
``kesheng.analytics.crosssell`` turns them into support, confidence and lift."""

from typing import Any

import numpy as np
from django.utils.translation import gettext as _

from kesheng.analytics import crosssell
from kesheng.commerce.queries import (
    count_baskets_by_product,
    count_kept_baskets,
    count_product_pairs,
    list_customer_product_pks,
    list_products_by_pk,
)
from kesheng.core.errors import FieldError, InvalidInput
from kesheng.customers.queries import get_customer

MIN_PAIR_BASKETS = 2  # a pair bought together once is chance, not a pattern
DEFAULT_TOP, MAX_TOP = 5, 20


def _parse_top(top: Any) -> int:
    try:
        count = int(str(top).strip())
        if not 1 <= count <= MAX_TOP:
            raise ValueError
    except (TypeError, ValueError):
        raise InvalidInput(
            [FieldError("top", _("a whole number from 1 to %(maximum)d") % {"maximum": MAX_TOP})]
        ) from None
    return count


def recommend_for_customer_pk(
    customer_pk: int, *, top: int = DEFAULT_TOP, min_pair_baskets: int = MIN_PAIR_BASKETS
) -> dict[str, Any]:
    """The products bought together with the customer's own that they have not bought, best
    lift first (a fixed number of queries whatever the customer's history)."""
    owned = list_customer_product_pks(customer_pk)
    baskets = count_kept_baskets() if owned else 0
    rows: list[dict[str, Any]] = []
    if owned:
        firsts, seconds, together = count_product_pairs(owned)
        involved = sorted(set(owned) | set(seconds))
        item_pks, item_counts = count_baskets_by_product(involved)
        result = crosssell.recommend(
            np.array(owned, dtype=np.int64),
            firsts,
            seconds,
            together,
            item_pks,
            item_counts,
            baskets,
            min_pair_baskets=min_pair_baskets,
            top=top,
        )
        products = list_products_by_pk([*result.items.tolist(), *result.because.tolist()])
        for index, product_pk in enumerate(result.items.tolist()):
            product = products[product_pk]
            because = products[int(result.because[index])]
            rows.append(
                {
                    "sku": product.sku,
                    "name": product.name,
                    "category": product.category,
                    "lift": round(float(result.lift[index]), 4),
                    "confidence": round(float(result.confidence[index]), 4),
                    "support": round(float(result.support[index]), 4),
                    "orders_together": int(result.pair_baskets[index]),
                    "because": {"sku": because.sku, "name": because.name},
                }
            )
    return {
        "baskets": baskets,
        "min_orders_together": min_pair_baskets,
        "recommendations": rows,
    }


def get_customer_recommendations(customer_id: str, top: Any = DEFAULT_TOP) -> dict[str, Any]:
    """``recommend_for_customer_pk`` for a public customer id (a merged id finds the surviving
    profile); unknown id: ``NotFound``; bad ``top``: ``InvalidInput``."""
    count = _parse_top(top)
    customer = get_customer(customer_id)
    return {
        "customer_id": customer.customer_id,
        **recommend_for_customer_pk(customer.pk, top=count),
    }


def get_recommendation_panel(customer_pk: int) -> dict[str, Any]:
    """The cross-sell panel of the customer-360 page."""
    return recommend_for_customer_pk(customer_pk)
