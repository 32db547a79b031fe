"""SMS backends. ``KESHENG_SMS_BACKEND`` names the class (a dotted path).

The interface a real provider implements (e.g. Aliyun SMS, Tencent Cloud SMS)::

    class MyProviderBackend(SmsBackend):
        def send(self, *, to: str, text: str, message_id: int) -> DeliveryResult:
            ...  # call the provider; raise PermanentDeliveryError for a refused number,
                 # any other exception for a transient failure (the outbox retries it)
            return DeliveryResult(provider_message_id=provider_id, delivered=False)

``to`` is the customer's phone number in E.164 form (+8613800138000). ``message_id`` is the
outbox row's id, useful as the provider's idempotency key or "out id". When the provider later
posts a delivery report, call ``kesheng.messaging.actions.record_delivery_report``.
Providers in mainland China require an approved signature and template; a backend for one maps
``text`` onto its template parameters.
"""

import sys
from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

from kesheng.messaging.backends import DeliveryResult


class SmsBackend:
    def send(self, *, to: str, text: str, message_id: int) -> DeliveryResult:
        raise NotImplementedError


class ConsoleSmsBackend(SmsBackend):
    """Development: prints each SMS to standard output."""

    def __init__(self, stream=None):
        self.stream = stream

    def send(self, *, to: str, text: str, message_id: int) -> DeliveryResult:
        stream = self.stream or sys.stdout
        stream.write(f"SMS #{message_id} to {to}\n{text}\n{'-' * 40}\n")
        stream.flush()
        return DeliveryResult(provider_message_id=f"console-{message_id}", delivered=True)


class FileSmsBackend(SmsBackend):
    """Development and tests: writes each SMS to ``KESHENG_SMS_FILE_DIR`` (default var/sms/)
    as ``<message id>.txt``: the number on the first line, a blank line, then the text."""

    def send(self, *, to: str, text: str, message_id: int) -> DeliveryResult:
        directory = settings.KESHENG_SMS_FILE_DIR
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{message_id}.txt"
        path.write_text(f"{to}\n\n{text}\n", encoding="utf-8")
        return DeliveryResult(provider_message_id=str(path), delivered=True)


@cache
def _backend_class(dotted_path: str) -> type[SmsBackend]:
    return import_string(dotted_path)


def get_sms_backend() -> SmsBackend:
    return _backend_class(settings.KESHENG_SMS_BACKEND)()
