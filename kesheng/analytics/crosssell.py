"""Cross-sell: which products are bought together (pure NumPy/SciPy, no Django;
docs/analytics.md, "Cross-sell").

A **basket** is one kept order; an item is in it when the order has a line for the product
(quantities do not matter). With N baskets, n_i baskets holding item i and n_ij holding both i
and j:

- support(i, j) = n_ij / N;
- confidence(i → j) = n_ij / n_i (of the baskets with i, the share that also hold j);
- lift(i, j) = n_ij · N / (n_i · n_j): how much more often the two are bought together than if
  they were bought independently (1: no relation; above 1: bought together).

A customer's **recommendations** are the items they have never bought that their own items
are bought together with: for each such item j, the best lift over the items i they own, kept
when the lift is above 1 and the pair was bought together in at least ``min_pair_baskets``
baskets (so one odd order does not make a recommendation).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import sparse


@dataclass(frozen=True)
class Cooccurrence:
    """Item counts and pair counts over the baskets, items indexed 0..n_items-1."""

    baskets: int
    item_baskets: NDArray[np.int64]  # n_i
    pair_baskets: sparse.csr_matrix  # n_ij, symmetric, diagonal = n_i


def count_cooccurrence(basket_ids: ArrayLike, item_ids: ArrayLike, n_items: int) -> Cooccurrence:
    """Co-occurrence of items over baskets from (basket, item) pairs (one per order line; a
    product twice in one order counts once): B^T B of the 0/1 basket × item matrix."""
    baskets = np.asarray(basket_ids, dtype=np.int64)
    items = np.asarray(item_ids, dtype=np.int64)
    basket_index = np.unique(baskets, return_inverse=True)[1].ravel()
    n_baskets = int(basket_index.max()) + 1 if len(basket_index) else 0
    matrix = sparse.csr_matrix(
        (np.ones(len(items), dtype=np.int64), (basket_index, items)),
        shape=(n_baskets, n_items),
    )
    matrix.data[:] = 1  # duplicates were summed; a basket holds an item or not
    pairs = (matrix.T @ matrix).tocsr()
    return Cooccurrence(
        baskets=n_baskets,
        item_baskets=np.asarray(pairs.diagonal(), dtype=np.int64),
        pair_baskets=pairs,
    )


def association(
    pair_baskets: ArrayLike, first_baskets: ArrayLike, second_baskets: ArrayLike, baskets: int
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Support, confidence (first → second) and lift of item pairs from their counts."""
    together = np.asarray(pair_baskets, dtype=np.float64)
    first = np.asarray(first_baskets, dtype=np.float64)
    second = np.asarray(second_baskets, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        support = together / baskets if baskets else np.zeros_like(together)
        confidence = np.where(first > 0, together / first, 0.0)
        lift = np.where((first > 0) & (second > 0), together * baskets / (first * second), 0.0)
    return support, confidence, lift


@dataclass(frozen=True)
class Recommendations:
    """Recommended items, best first, with the owned item that gives each its lift."""

    items: NDArray[np.int64]
    because: NDArray[np.int64]
    pair_baskets: NDArray[np.int64]
    support: NDArray[np.float64]
    confidence: NDArray[np.float64]
    lift: NDArray[np.float64]


def recommend(
    owned: ArrayLike,
    pair_first: ArrayLike,
    pair_second: ArrayLike,
    pair_baskets: ArrayLike,
    item_ids: ArrayLike,
    item_baskets: ArrayLike,
    baskets: int,
    *,
    min_pair_baskets: int = 2,
    top: int = 5,
) -> Recommendations:
    """Recommendations for a customer owning ``owned`` items, from the pair counts
    (``pair_first`` an owned item, ``pair_second`` another item, ``pair_baskets`` how many
    baskets hold both) and every involved item's basket count (``item_ids`` with
    ``item_baskets``; an item not listed counts 0). Ordered by lift, then
    confidence, then pair count, then item id."""
    owned_items = np.unique(np.asarray(owned, dtype=np.int64))
    first = np.asarray(pair_first, dtype=np.int64)
    second = np.asarray(pair_second, dtype=np.int64)
    together = np.asarray(pair_baskets, dtype=np.int64)
    ids = np.asarray(item_ids, dtype=np.int64)
    counts = np.asarray(item_baskets, dtype=np.int64)
    sorting = np.argsort(ids, kind="stable")
    ids, counts = ids[sorting], counts[sorting]

    def count_of(values: NDArray[np.int64]) -> NDArray[np.int64]:
        if not len(ids):
            return np.zeros(len(values), dtype=np.int64)
        position = np.minimum(np.searchsorted(ids, values), len(ids) - 1)
        return np.where(ids[position] == values, counts[position], 0)

    keep = (
        np.isin(first, owned_items) & ~np.isin(second, owned_items) & (together >= min_pair_baskets)
    )
    first, second, together = first[keep], second[keep], together[keep]
    n_first, n_second = count_of(first), count_of(second)
    support, confidence, lift = association(together, n_first, n_second, baskets)
    useful = lift > 1.0
    first, second, together = first[useful], second[useful], together[useful]
    support, confidence, lift = support[useful], confidence[useful], lift[useful]
    # Best pair per candidate item: sort by (item, -lift, -confidence, -together, owned item)
    # and take the first row of each item.
    order = np.lexsort((first, -together, -confidence, -lift, second))
    first, second, together = first[order], second[order], together[order]
    support, confidence, lift = support[order], confidence[order], lift[order]
    best = np.ones(len(second), dtype=bool)
    best[1:] = second[1:] != second[:-1]
    first, second, together = first[best], second[best], together[best]
    support, confidence, lift = support[best], confidence[best], lift[best]
    ranking = np.lexsort((second, -together, -confidence, -lift))[:top]
    return Recommendations(
        items=second[ranking],
        because=first[ranking],
        pair_baskets=together[ranking],
        support=support[ranking],
        confidence=confidence[ranking],
        lift=lift[ranking],
    )


def recommend_from_cooccurrence(
    cooccurrence: Cooccurrence, owned: ArrayLike, *, min_pair_baskets: int = 2, top: int = 5
) -> Recommendations:
    """``recommend`` over a whole co-occurrence matrix (the rows of the owned items)."""
    owned_items = np.unique(np.asarray(owned, dtype=np.int64))
    rows = cooccurrence.pair_baskets[owned_items].tocoo()
    return recommend(
        owned_items,
        owned_items[rows.row],
        rows.col,
        rows.data,
        np.arange(len(cooccurrence.item_baskets)),
        cooccurrence.item_baskets,
        cooccurrence.baskets,
        min_pair_baskets=min_pair_baskets,
        top=top,
    )
