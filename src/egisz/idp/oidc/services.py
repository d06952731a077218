"""Partner clients and signing keys: the writes of the OpenID Connect provider."""

import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.db import transaction
from django.utils.translation import gettext as _
from oauth2_provider.models import get_application_model
from oauth2_provider.settings import oauth2_settings

from egisz.common.audit.services import record_event
from egisz.common.request_meta import SYSTEM, RequestMeta
from egisz.idp.audit_actions import IdpAction
from egisz.idp.oidc import keys
from egisz.idp.oidc.claims import SCOPES
from egisz.idp.oidc.models import ClientProfile, SigningKey


class ClientError(Exception):
    """A client definition the rules refuse; ``message`` says why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class NewClient:
    client_id: str
    client_secret: str | None  # shown once; only its hash is stored
    application: object


def validate_redirect_uri(uri: str) -> str:
    parts = urlsplit(uri)
    if parts.scheme not in ("https", "http") or not parts.netloc or parts.fragment:
        raise ClientError(
            _("Адрес возврата %(uri)s недопустим: нужен полный адрес http(s) без #.") % {"uri": uri}
        )
    return uri


def validate_backchannel_logout_uri(uri: str) -> str:
    """Back-Channel Logout 1.0 §2.2: an absolute URI without a fragment, on a scheme the
    site allows for redirects (https only outside the demo)."""
    parts = urlsplit(uri)
    if (
        parts.scheme not in oauth2_settings.ALLOWED_REDIRECT_URI_SCHEMES
        or not parts.netloc
        or parts.fragment
        or "#" in uri
        or any(char.isspace() for char in uri)
    ):
        raise ClientError(
            _(
                "Адрес для уведомлений о выходе %(uri)s недопустим: нужен полный адрес "
                "%(schemes)s без #."
            )
            % {"uri": uri, "schemes": "/".join(oauth2_settings.ALLOWED_REDIRECT_URI_SCHEMES)}
        )
    return uri


@transaction.atomic
def create_client(
    *,
    name: str,
    redirect_uris: list[str],
    scopes: list[str],
    public: bool = False,
    pairwise: bool = False,
    always_refresh_tokens: bool = False,
    post_logout_uris: list[str] | None = None,
    id_token_algorithm: str = SigningKey.Algorithm.RS256,
    backchannel_logout_uri: str = "",
    description: str = "",
    client_id: str | None = None,
    client_secret: str | None = None,
    meta: RequestMeta = SYSTEM,
    actor=None,
) -> NewClient:
    """Register a partner service. ``client_id``/``client_secret`` may be fixed (demo data);
    by default they are random. The secret is returned in the clear only here.
    ``always_refresh_tokens``: a refresh token at every login, not only for offline_access
    (ClientProfile.always_refresh_tokens)."""
    application_model = get_application_model()
    if not name.strip():
        raise ClientError(_("Укажите название сервиса."))
    if not redirect_uris:
        raise ClientError(_("Нужен хотя бы один адрес возврата."))
    unknown = [scope for scope in scopes if scope not in SCOPES]
    if unknown:
        raise ClientError(_("Неизвестные области доступа: %(s)s.") % {"s": ", ".join(unknown)})
    if "openid" not in scopes:
        scopes = ["openid", *scopes]
    uris = [validate_redirect_uri(uri) for uri in redirect_uris]
    logout_uris = [validate_redirect_uri(uri) for uri in post_logout_uris or []]
    if backchannel_logout_uri:
        validate_backchannel_logout_uri(backchannel_logout_uri)
    secret = None if public else (client_secret or secrets.token_urlsafe(48))
    application = application_model(
        name=name.strip(),
        client_type=(
            application_model.CLIENT_PUBLIC if public else application_model.CLIENT_CONFIDENTIAL
        ),
        authorization_grant_type=application_model.GRANT_AUTHORIZATION_CODE,
        redirect_uris=" ".join(uris),
        post_logout_redirect_uris=" ".join(logout_uris),
        # DOT's own signing (one key from settings) is not used: ID tokens are signed from
        # the project's key store with the algorithm in ClientProfile.
        algorithm=application_model.NO_ALGORITHM,
        skip_authorization=False,
        client_secret=secret or "",
    )
    if client_id:
        application.client_id = client_id
    application.full_clean(exclude=["user", "client_secret"])
    application.save()
    ClientProfile.objects.create(
        application=application,
        allowed_scopes=" ".join(dict.fromkeys(scopes)),
        pairwise_subject=pairwise,
        always_refresh_tokens=always_refresh_tokens,
        id_token_algorithm=id_token_algorithm,
        backchannel_logout_uri=backchannel_logout_uri,
        description=description,
    )
    record_event(
        action=IdpAction.CLIENT_CREATED,
        meta=meta,
        actor=actor,
        subject=f"client:{application.client_id}",
        name=application.name,
        scopes=scopes,
        public=public,
        always_refresh_tokens=always_refresh_tokens,
        backchannel_logout_uri=backchannel_logout_uri,
    )
    return NewClient(application.client_id, secret, application)


@transaction.atomic
def rotate_signing_keys(*, meta: RequestMeta = SYSTEM, actor=None) -> list[SigningKey]:
    """A new RS256 and ES256 key take over signing; the old ones stay published."""
    created = [keys.rotate(algorithm) for algorithm in SigningKey.Algorithm.values]
    record_event(
        action=IdpAction.KEYS_ROTATED, meta=meta, actor=actor, kids=[key.kid for key in created]
    )
    return created
