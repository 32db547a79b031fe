"""Settings for bench/respond.py only: the product's own, with the bench's URLconf (which adds
a bare view beside the product's pages) and no rate limit (every request of the load generator
comes from one address). Not part of the product."""

from kesheng.settings import *  # noqa: F403

ROOT_URLCONF = "bench.respond_urls"
KESHENG_PUBLIC_POSTS_PER_MINUTE = 0
