"""Limited mode: a visitor who came back from the provider without full access (consent
refused, or an account level below the one required) may use only what needs no personal
data. The session remembers why, so «Главная» can say so and offer the way out."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

SESSION_KEY = "egisz_limited"
REFUSED = "refused"  # the citizen refused consent at the provider
LEVEL = "level"  # the account level is below OIDC_REQUIRED_ACR


@dataclass(frozen=True)
class LimitedMode:
    reason: str
    level: str = ""  # the account level the provider reported, for REASON = LEVEL


def enter_limited_mode(request, *, reason: str, level: str = "") -> None:
    request.session[SESSION_KEY] = {"reason": reason, "level": level}


def leave_limited_mode(request) -> None:
    request.session.pop(SESSION_KEY, None)


def limited_mode(request) -> LimitedMode | None:
    data = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
    if not isinstance(data, dict) or data.get("reason") not in {REFUSED, LEVEL}:
        return None
    return LimitedMode(reason=data["reason"], level=str(data.get("level") or ""))


# Account levels as the provider's `acr` values end (urn:egisz:loa:<level>).
_LEVEL_LABELS = {
    "simplified": _("упрощённая"),
    "standard": _("стандартная"),
    "confirmed": _("подтверждённая"),
}


def level_label(acr: str) -> str:
    """How a person reads the account level behind an `acr` value."""
    label = _LEVEL_LABELS.get((acr or "").rsplit(":", 1)[-1])
    return str(label) if label else str(_("не подтверждённая"))
