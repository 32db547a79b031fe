from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone, translation

from kesheng.customers.models import Customer
from kesheng.loyalty.actions.members import (
    SignInRefused,
    member_link_token,
    send_sign_in_code,
    verify_sign_in_code,
)
from kesheng.loyalty.models import MemberSignIn, MemberSignInCode
from tests.loyalty.member_helpers import last_code, sign_in_by_code


@pytest.fixture(autouse=True)
def english():
    translation.activate("en")


def test_the_right_code_signs_the_customer_with_that_phone_in(sms, customer):
    client = Client()
    sign_in_by_code(client, "138 0013 8000")
    assert sms[0][0] == "+8613800138000"
    assert "10 分钟内有效" in sms[0][1]
    assert client.session["kesheng_member_pk"] == customer.pk
    assert MemberSignInCode.objects.get().used_at is not None
    assert list(MemberSignIn.objects.values_list("customer_id", "method")) == [
        (customer.pk, "code")
    ]


def test_only_a_hash_of_the_code_is_stored(sms, customer):
    send_sign_in_code(phone="13800138000")
    row = MemberSignInCode.objects.get()
    assert last_code() not in row.code_hash and len(row.code_hash) == 64


def test_a_new_phone_signs_up_as_a_new_customer(sms, db):
    client = Client()
    sign_in_by_code(client, "13900139000")
    customer = Customer.objects.get()
    assert client.session["kesheng_member_pk"] == customer.pk
    assert customer.identities.filter(kind="phone", value="+8613900139000").exists()
    assert customer.signed_up_at is not None


def test_a_wrong_code_is_refused_and_counted(sms, customer):
    client = Client()
    client.post("/m/sign-in/", {"phone": "13800138000"})
    wrong = "000000" if last_code() != "000000" else "111111"
    response = client.post("/m/sign-in/code/", {"code": wrong})
    assert response.status_code == 422
    assert "验证码不正确" in response.content.decode()
    assert "kesheng_member_pk" not in client.session
    assert MemberSignInCode.objects.get().attempts == 1


def test_an_expired_code_is_refused(sms, customer):
    past = timezone.now() - timedelta(minutes=11)
    send_sign_in_code(phone="13800138000", now=past)
    with pytest.raises(SignInRefused) as refused:
        verify_sign_in_code(phone="13800138000", code=last_code())
    assert refused.value.reason == "expired"
    assert MemberSignIn.objects.count() == 0


def test_too_many_wrong_codes_kill_the_code_even_for_the_right_one(sms, customer, settings):
    send_sign_in_code(phone="13800138000")
    right = last_code()
    wrong = "000000" if right != "000000" else "111111"
    for _try in range(settings.KESHENG_MEMBER_CODE_MAX_ATTEMPTS):
        with pytest.raises(SignInRefused) as refused:
            verify_sign_in_code(phone="13800138000", code=wrong)
        assert refused.value.reason == "wrong"
    with pytest.raises(SignInRefused) as refused:
        verify_sign_in_code(phone="13800138000", code=right)
    assert refused.value.reason == "attempts"
    assert MemberSignIn.objects.count() == 0


def test_a_code_is_used_once(sms, customer):
    send_sign_in_code(phone="13800138000")
    code = last_code()
    verify_sign_in_code(phone="13800138000", code=code)
    with pytest.raises(SignInRefused) as refused:
        verify_sign_in_code(phone="13800138000", code=code)
    assert refused.value.reason == "expired"


def test_one_phone_gets_one_code_a_minute_and_five_an_hour(sms, customer):
    now = timezone.now()
    send_sign_in_code(phone="13800138000", now=now)
    with pytest.raises(SignInRefused) as refused:
        send_sign_in_code(phone="13800138000", now=now + timedelta(seconds=30))
    assert refused.value.reason == "too_soon"
    for minutes in range(2, 6):
        send_sign_in_code(phone="13800138000", now=now + timedelta(minutes=minutes))
    with pytest.raises(SignInRefused) as refused:
        send_sign_in_code(phone="13800138000", now=now + timedelta(minutes=7))
    assert refused.value.reason == "too_many"
    assert len(sms) == 5
    send_sign_in_code(phone="13800138000", now=now + timedelta(minutes=61))
    assert len(sms) == 6


def test_one_address_asking_for_too_many_codes_gets_429(sms, db, settings):
    settings.KESHENG_MEMBER_CODES_PER_IP_PER_MINUTE = 2
    client = Client()
    statuses = [
        client.post("/m/sign-in/", {"phone": f"1390013900{index}"}).status_code
        for index in range(3)
    ]
    assert statuses == [302, 302, 429]
    assert len(sms) == 2


def test_a_bad_phone_number_is_refused_on_the_form(sms, db):
    response = Client().post("/m/sign-in/", {"phone": "abc"})
    assert response.status_code == 422
    assert "请输入手机号码" in response.content.decode()
    assert sms == [] and MemberSignInCode.objects.count() == 0


def test_the_code_page_needs_a_phone_first(db):
    response = Client().get("/m/sign-in/code/")
    assert response.status_code == 302 and response["Location"] == "/m/sign-in/"


def test_a_personal_link_signs_the_member_in(customer):
    client = Client()
    response = client.get(f"/m/link/{member_link_token('C001')}/")
    assert response.status_code == 302 and response["Location"] == "/m/"
    assert client.session["kesheng_member_pk"] == customer.pk
    assert MemberSignIn.objects.get().method == "link"


def test_a_forged_or_expired_personal_link_does_not_sign_in(customer, settings):
    client = Client()
    token = member_link_token("C001")
    assert client.get(f"/m/link/{token[:-2]}xx/").status_code == 404
    settings.KESHENG_MEMBER_LINK_DAYS = 0
    assert client.get(f"/m/link/{token}/").status_code == 404
    assert "kesheng_member_pk" not in client.session
    assert MemberSignIn.objects.count() == 0


def test_member_pages_need_a_signed_in_member_not_a_staff_login(db, django_user_model):
    staff = django_user_model.objects.create_superuser("admin", "a@example.com", "pw")
    client = Client()
    client.force_login(staff)
    for path in ("/m/", "/m/history/", "/m/rewards/", "/m/coupons/", "/m/invite/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"] == "/m/sign-in/", path


def test_signing_out_ends_the_member_session(customer):
    client = Client()
    client.get(f"/m/link/{member_link_token('C001')}/")
    client.post("/m/sign-out/")
    assert client.get("/m/").status_code == 302


class FailingSmsBackend:
    def send(self, *, to, text, message_id):
        raise ConnectionError("provider down")


def test_a_code_the_backend_could_not_send_is_not_kept_nor_counted(sms, customer, settings):
    settings.KESHENG_SMS_BACKEND = "tests.loyalty.test_member_sign_in.FailingSmsBackend"
    response = Client().post("/m/sign-in/", {"phone": "13800138000"})
    assert response.status_code == 422
    assert "短信发送失败" in response.content.decode()
    assert MemberSignInCode.objects.count() == 0


def test_asking_again_within_a_minute_offers_the_code_already_sent(sms, customer):
    client = Client()
    client.post("/m/sign-in/", {"phone": "13800138000"})
    response = client.post("/m/sign-in/", {"phone": "13800138000"})
    assert response.status_code == 422
    assert "/m/sign-in/code/" in response.content.decode()
    assert len(sms) == 1
    assert client.post("/m/sign-in/code/", {"code": last_code()}).status_code == 302
