"""The login code SMS is worded in the language the citizen reads the site in."""

import pytest

from egisz.common.outbox.models import Message
from tests.common.catalogue import english

pytestmark = pytest.mark.django_db

RUSSIAN = "Код для входа на Госуслуги: {code}. Никому не сообщайте его."
ENGLISH = "Your Gosuslugi sign-in code: {code}. Do not share it."


def test_login_sms_in_english_for_an_english_reader(client, make_account, password):
    account = make_account()
    client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    with english({RUSSIAN: ENGLISH}):
        client.post("/login/", {"identifier": account.phone, "password": password})
    body = Message.objects.get(channel="sms", recipient=account.phone).body
    assert body.startswith("Your Gosuslugi sign-in code: ")


def test_login_sms_in_russian_by_default(client, make_account, password):
    account = make_account()
    with english({RUSSIAN: ENGLISH}):
        client.post("/login/", {"identifier": account.phone, "password": password})
    body = Message.objects.get(channel="sms", recipient=account.phone).body
    assert body.startswith("Код для входа на Госуслуги: ")
