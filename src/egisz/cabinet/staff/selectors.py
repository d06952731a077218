"""Reads about the operator's staff."""

from django.contrib.auth import get_user_model

from egisz.cabinet.staff.models import StaffProfile


def staff_phone(user) -> str:
    """The phone (E.164) the staff member's login codes go to; empty when none is set."""
    return StaffProfile.objects.filter(user=user).values_list("phone", flat=True).first() or ""


def active_staff(user_id):
    """The active member of staff with this id, or None."""
    return get_user_model().objects.filter(pk=user_id, is_active=True, is_staff=True).first()
