from django.core import signing
from django.test import Client

from kesheng.customers.models import Consent
from kesheng.messaging.unsubscribe import make_token


def unsubscribe_path(customer, *, language="zh-hans", channel="email", purpose="surveys"):
    token = make_token(
        customer_id=customer.customer_id, channel=channel, purpose=purpose, language=language
    )
    return f"/m/unsubscribe/{token}/"


def test_confirm_page_speaks_the_message_language_and_offers_the_other(customer):
    chinese = Client().get(unsubscribe_path(customer))
    assert chinese.status_code == 200
    assert '<html lang="zh-hans">' in chinese.content.decode()
    english = Client().get(unsubscribe_path(customer) + "?lang=en")
    assert '<html lang="en">' in english.content.decode()
    assert "Yes, unsubscribe me" in english.content.decode()
    assert Consent.objects.filter(customer=customer).count() == 0


def test_one_click_post_without_a_csrf_token_withdraws_consent(customer):
    response = Client(enforce_csrf_checks=True).post(
        unsubscribe_path(customer, language="en", channel="sms", purpose="marketing"),
        {"List-Unsubscribe": "One-Click"},
    )
    assert response.status_code == 200
    consent = Consent.objects.get(customer=customer)
    assert (consent.channel, consent.purpose, consent.is_granted) == ("sms", "marketing", False)


def test_posting_the_same_link_twice_changes_nothing_the_second_time(customer):
    path = unsubscribe_path(customer, language="en")
    Client().post(path)
    first = Consent.objects.get(customer=customer)
    Client().post(path)
    assert Consent.objects.get(customer=customer).recorded_at == first.recorded_at


def test_a_forged_link_is_refused_and_changes_nothing(customer):
    path = unsubscribe_path(customer, language="en")
    other_key = signing.Signer(salt="another purpose", algorithm="sha256")
    forged = f"/m/unsubscribe/{other_key.sign_object(['C001', 'email', 'surveys', 'en'])}/?lang=en"
    token = path.split("/")[3]
    # Change one character well inside the signature: the last base64 characters carry
    # padding bits, so changing only those can leave the signature the same.
    position = len(token) - 10
    changed = "A" if token[position] != "A" else "B"
    tampered = f"/m/unsubscribe/{token[:position]}{changed}{token[position + 1 :]}/?lang=en"
    for bad in (forged, tampered, "/m/unsubscribe/nonsense/?lang=en"):
        response = Client().post(bad)
        assert response.status_code == 400, bad
        assert "This unsubscribe link is not valid" in response.content.decode()
    assert Consent.objects.count() == 0


def test_a_link_for_a_deleted_customer_is_a_404(customer):
    from kesheng.customers.actions import delete_customer

    path = unsubscribe_path(customer, language="en")
    delete_customer(customer_id=customer.customer_id)
    assert Client().post(path).status_code == 404
