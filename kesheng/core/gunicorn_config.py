"""gunicorn settings ``kesheng serve --production`` adds in embedded mode (no ``REDIS_URL``):
each web worker starts the in-process scheduler once it is ready. The workers share the
scheduler's leases in the database, so each periodic job still runs once, in one of them."""


def post_worker_init(worker):  # gunicorn's hook name
    from kesheng.core.scheduler import start_in_background

    start_in_background()
