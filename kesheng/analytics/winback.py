"""Win-back lists: who goes into the held-out control group (pure, no Django).

A win-back list freezes the customers most at risk at one moment. A share of them (default
10 %) is held out as a **control group** that the campaign leaves alone, so that afterwards
the share of the treated who ordered again can be compared with the share of the control who
did anyway (docs/analytics.md, "Win-back").

The split is **reproducible**: each member is ranked by the SHA-256 digest of
``"{seed}:{customer_id}"`` (the business's customer id, not a database key, so the same list
splits the same way on any copy of the data), and the ``control_size`` first in that order
form the control group. The same seed and members always give the same split, whatever order
the members come in; a different seed gives an independent one. A hash of the id is as good as
a coin toss for this purpose: it does not depend on anything the campaign or the customer did.
"""

import hashlib
from collections.abc import Iterable

DEFAULT_CONTROL_SHARE = 0.10
MAX_CONTROL_SHARE = 0.5
DEFAULT_WINDOW_DAYS = 30
MAX_WINDOW_DAYS = 365


def control_size(members: int, share: float) -> int:
    """How many of ``members`` are held out: ``share`` of them rounded half up (10 % of 25 is
    3, of 24 is 2, of 4 is 0 — a list of a handful has no control group)."""
    if members <= 0 or share <= 0:
        return 0
    return min(members, int(members * share + 0.5))


def _rank_key(seed: int, customer_id: str) -> str:
    return hashlib.sha256(f"{seed}:{customer_id}".encode()).hexdigest()


def choose_control(customer_ids: Iterable[str], share: float, seed: int) -> set[str]:
    """The customer ids held out as the control group: the ``control_size`` of them whose
    ``sha256("{seed}:{id}")`` sorts first (ties, impossible in practice, by the id)."""
    ids = sorted(set(customer_ids))
    ranked = sorted(ids, key=lambda customer_id: (_rank_key(seed, customer_id), customer_id))
    return set(ranked[: control_size(len(ids), share)])
