"""Kesheng (客声): an open-source customer-experience platform."""

from kesheng.celery import app as celery_app

__all__ = ["celery_app"]
