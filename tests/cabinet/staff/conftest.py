import pytest
from django.utils import timezone

from .helpers import make_staff, new_browser


@pytest.fixture
def browser():
    return new_browser()


@pytest.fixture
def staff(db):
    return make_staff()


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    return time_machine
