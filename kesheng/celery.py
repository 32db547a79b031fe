"""The Celery application.

With ``REDIS_URL`` set, tasks go to real workers over Redis (``kesheng worker``). Without it,
``task_always_eager`` makes every ``.delay()`` run in-process, so the embedded default needs
nothing else running.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kesheng.settings")

app = Celery("kesheng")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
