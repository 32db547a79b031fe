"""Per-address rate limits for public pages (survey links, the complaint form).

Counted in the cache, so web processes sharing Redis share the count; without Redis each
process counts on its own. The address is hashed with the secret key: the cache never holds a
visitor's IP.
"""

import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


def over_rate_limit(request: HttpRequest, *, scope: str, limit: int) -> bool:
    """Count this request against the sender's address for the current minute in ``scope``
    (each public page keeps its own count); True once more than ``limit`` came this minute.
    A limit of 0 or less turns the check off."""
    if limit <= 0:
        return False
    address = request.META.get("REMOTE_ADDR", "")
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:{address}".encode()).hexdigest()[:24]
    key = f"kesheng:{scope}:{digest}:{int(time.time() // 60)}"
    if cache.add(key, 1, timeout=90):
        return False
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=90)
        count = 1
    return count > limit
