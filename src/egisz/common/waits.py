"""How long a person has to wait, in words both sites use in refusals."""

from django.utils.translation import gettext as _


def in_time(seconds: int) -> str:
    """«45 с», «12 мин», «7 ч» (rounded up): abbreviations that read right after any number,
    so no plural forms are needed."""
    if seconds < 120:
        return _("%(n)d с") % {"n": max(seconds, 1)}
    if seconds < 120 * 60:
        return _("%(n)d мин") % {"n": -(-seconds // 60)}
    return _("%(n)d ч") % {"n": -(-seconds // 3600)}
