"""Revoking a citizen's tokens: those of one IdP session, of one client, or all of them;
and which clients hold them.

Refresh tokens are revoked the way django-oauth-toolkit revokes them (marked revoked, their
access token deleted); access tokens, ID tokens and unused codes are deleted. What an IdP
session issued goes with the session, except offline access (`offline_access`), which
outlives the login it was granted in (Back-Channel Logout 1.0 §2.7); a revocation of the
account or of one client takes everything.

No audit here: the callers (egisz.idp.oidc.signout, consent) journal what they revoked.
"""

from dataclasses import asdict, dataclass

from django.db.models import Q
from oauth2_provider.models import (
    get_access_token_model,
    get_application_model,
    get_grant_model,
    get_id_token_model,
    get_refresh_token_model,
)

from egisz.idp.oidc.models import AuthorizationContext

OFFLINE_SCOPE = "offline_access"


@dataclass(frozen=True)
class Revoked:
    refresh_tokens: int = 0
    access_tokens: int = 0
    id_tokens: int = 0
    codes: int = 0

    def __bool__(self) -> bool:
        return any(asdict(self).values())

    def details(self) -> dict:
        """For the audit event."""
        return {f"{name}_revoked": count for name, count in asdict(self).items()}


def _deleted(queryset) -> int:
    _total, by_model = queryset.delete()
    return by_model.get(queryset.model._meta.label, 0)


def revoke_account_tokens(account, application=None) -> Revoked:
    """Every token of ``account`` (at ``application`` only, when given)."""
    scope = {"user": account}
    if application is not None:
        scope["application"] = application
    refresh_tokens = list(get_refresh_token_model().objects.filter(revoked__isnull=True, **scope))
    for token in refresh_tokens:
        token.revoke()
    access_tokens = _deleted(get_access_token_model().objects.filter(**scope))
    # Deleting an ID token would take its access token with it: access tokens went first,
    # so each is counted once.
    id_tokens = _deleted(get_id_token_model().objects.filter(**scope))
    codes = _deleted(get_grant_model().objects.filter(**scope))
    return Revoked(len(refresh_tokens), access_tokens, id_tokens, codes)


def _offline(refresh_token) -> bool:
    access = refresh_token.access_token
    return access is not None and OFFLINE_SCOPE in access.scope.split()


def revoke_session_tokens(session) -> Revoked:
    """The tokens issued from codes of the IdP ``session`` (an AccountSession), offline
    access aside. Codes of the session not yet exchanged are refused at the token
    endpoint once the session has ended (EgiszValidator.validate_code)."""
    families = (
        AuthorizationContext.objects.filter(session=session)
        .exclude(token_family=None)
        .values("token_family")
    )
    refresh_tokens = [
        token
        for token in get_refresh_token_model()
        .objects.filter(token_family__in=families, revoked__isnull=True)
        .select_related("access_token")
        if not _offline(token)
    ]
    access_ids = [token.access_token_id for token in refresh_tokens if token.access_token_id]
    # Access tokens a code was exchanged for without a refresh token (no offline access
    # then) belong to no family: the code's context names them.
    lone_access_ids = set(
        AuthorizationContext.objects.filter(session=session, access_token__isnull=False)
        .exclude(access_token_id__in=access_ids)
        .values_list("access_token_id", flat=True)
    )
    id_token_ids = list(
        get_access_token_model()
        .objects.filter(pk__in=[*access_ids, *lone_access_ids])
        .exclude(id_token=None)
        .values_list("id_token_id", flat=True)
    )
    for token in refresh_tokens:
        token.revoke()
    lone_access_tokens = _deleted(get_access_token_model().objects.filter(pk__in=lone_access_ids))
    id_tokens = _deleted(get_id_token_model().objects.filter(pk__in=id_token_ids))
    return Revoked(len(refresh_tokens), len(access_ids) + lone_access_tokens, id_tokens, 0)


def clients_of_session(session):
    """The clients that ``session`` logged in to."""
    return (
        get_application_model()
        .objects.filter(
            pk__in=AuthorizationContext.objects.filter(session=session).values("application")
        )
        .select_related("profile")
        .order_by("pk")
    )


def clients_of_account(account):
    """The clients where ``account`` may still be logged in: they hold a live refresh
    token, an access token, or a login of a session that has not ended."""
    holders = (
        Q(
            pk__in=get_refresh_token_model()
            .objects.filter(user=account, revoked__isnull=True)
            .values("application")
        )
        | Q(pk__in=get_access_token_model().objects.filter(user=account).values("application"))
        | Q(
            pk__in=AuthorizationContext.objects.filter(
                account=account, session__isnull=False, session__ended_at__isnull=True
            ).values("application")
        )
    )
    return get_application_model().objects.filter(holders).select_related("profile").order_by("pk")
