"""Helpers of the member-page tests: an SMS backend that keeps what it sends, and signing a
test client in through the real code flow."""

import re

from kesheng.messaging.backends import DeliveryResult
from kesheng.messaging.backends.sms import SmsBackend

RECORDING_BACKEND = "tests.loyalty.member_helpers.RecordingSmsBackend"


class RecordingSmsBackend(SmsBackend):
    sent: list[tuple[str, str]] = []

    def send(self, *, to: str, text: str, message_id: int) -> DeliveryResult:
        RecordingSmsBackend.sent.append((to, text))
        return DeliveryResult(provider_message_id=f"test-{message_id}", delivered=True)


def last_code() -> str:
    return re.search(r"\b(\d{6})\b", RecordingSmsBackend.sent[-1][1]).group(1)


def sign_in_by_code(client, phone: str) -> None:
    response = client.post("/m/sign-in/", {"phone": phone})
    assert response.status_code == 302, response.content.decode()
    response = client.post("/m/sign-in/code/", {"code": last_code()})
    assert response.status_code == 302 and response["Location"] == "/m/", response.content
