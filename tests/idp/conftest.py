import datetime

import pytest

from egisz.idp.accounts.models import Account, Level
from tests.idp.oidc import flow
from tests.idp.oidc.logout_receiver import LogoutReceiver

PASSWORD = "Zvezda#Polyarnaya7"


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def make_account(db):
    """An existing account (as registration or an operator would have left it)."""
    counter = iter(range(10, 99))

    def make(**fields):
        n = next(counter)
        defaults = {
            "last_name": "Иванова",
            "first_name": "Мария",
            "middle_name": "Петровна",
            "birth_date": datetime.date(1985, 3, 14),
            "phone": f"+791612345{n:02d}",
            "level": Level.SIMPLIFIED,
        }
        defaults.update(fields)
        password = defaults.pop("password", PASSWORD)
        return Account.objects.create_user(password=password, **defaults)

    return make


@pytest.fixture
def logout_receiver():
    """A service's back-channel logout endpoint, up (``down()``/``up()`` to switch)."""
    receiver = LogoutReceiver()
    receiver.up()
    yield receiver
    receiver.down()


@pytest.fixture
def rp(logout_receiver):
    """A service with ``logout_receiver`` as its back-channel logout address (test modules
    that need another kind of service define their own ``rp``)."""
    return flow.make_client(backchannel_logout_uri=logout_receiver.uri)
