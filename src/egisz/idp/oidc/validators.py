"""The project's OAuth2/OpenID Connect validator (django-oauth-toolkit's hook).

django-oauth-toolkit and oauthlib run the protocol; this class holds the project's policy:
how clients authenticate (secret or private_key_jwt), that a code is exchanged once (a
replay revokes what the first exchange issued), what the ID token says (pairwise `sub`,
auth_time, acr, amr) and how it is signed (the project's key store, via joserfc), and what
UserInfo releases (the granted scopes, nothing more).
"""

import base64
import binascii
import hashlib
import json
import logging
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote_plus

from django.db import router, transaction
from django.db.models import Q
from django.utils import timezone
from joserfc import jwt
from joserfc.errors import JoseError
from oauth2_provider.models import (
    get_access_token_model,
    get_application_model,
    get_grant_model,
    get_id_token_model,
    get_refresh_token_model,
)
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.settings import oauth2_settings
from oauthlib.oauth2.rfc6749.grant_types.authorization_code import (
    code_challenge_method_s256,
)

from egisz.common.audit.services import record_event
from egisz.idp.audit_actions import IdpAction
from egisz.idp.authn import sessions
from egisz.idp.authn.models import AccountSession
from egisz.idp.oidc import access_tokens, client_auth, keys
from egisz.idp.oidc.claims import ACR_BY_LEVEL, OFFLINE_ACCESS, claims_for
from egisz.idp.oidc.discovery import issuer
from egisz.idp.oidc.models import AuthorizationContext, ClientAuthMethod, SigningKey
from egisz.idp.oidc.subjects import sid_for, subject_for

log = logging.getLogger(__name__)

ID_TOKEN_ALGORITHMS = tuple(SigningKey.Algorithm.values)
MAX_CODE_LENGTH = 512
MAX_TOKEN_LENGTH = 8192
SECRET_METHODS = {ClientAuthMethod.CLIENT_SECRET_BASIC, ClientAuthMethod.CLIENT_SECRET_POST}


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def _plausible_code(code) -> bool:
    return isinstance(code, str) and 0 < len(code) <= MAX_CODE_LENGTH and "\x00" not in code


def _now_epoch() -> int:
    return int(timezone.now().timestamp())


def revoke_tokens_from(context: AuthorizationContext) -> None:
    """Revoke every token issued from the code of ``context``: the refresh-token family
    (all its rotations), their access tokens and the ID tokens issued with them, or the
    access and ID token alone when the exchange gave no refresh token."""
    if context.access_token_id is not None:
        # Deleting the ID token deletes its access token too.
        get_id_token_model().objects.filter(access_token__pk=context.access_token_id).delete()
        get_access_token_model().objects.filter(pk=context.access_token_id).delete()
    if context.token_family is None:
        return
    refresh_model = get_refresh_token_model()
    family_access_ids = refresh_model.objects.filter(
        token_family=context.token_family, access_token__isnull=False
    ).values("access_token_id")
    get_id_token_model().objects.filter(access_token__in=family_access_ids).delete()
    refresh_model.revoke_family(context.token_family)


class EgiszValidator(OAuth2Validator):
    # ------------------------------------------------------------------ clients

    def client_authentication_required(self, request, *args, **kwargs):
        if client_auth.presented(request):
            return True
        return super().client_authentication_required(request, *args, **kwargs)

    def authenticate_client(self, request, *args, **kwargs):
        """A client authenticates with exactly one method: its secret (HTTP Basic or in
        the body) or a private_key_jwt assertion, whichever it is registered for."""
        if client_auth.presented(request):
            if self._extract_basic_auth(request) or self._body_secret(request):
                return False
            try:
                application = client_auth.authenticate(
                    request, allowed_audiences=client_auth.audiences()
                )
            except client_auth.ClientAssertionError as error:
                log.info("client assertion refused: %s", error.reason)
                return False
            request.client = application
            request.client_id = application.client_id
            return True
        if not super().authenticate_client(request, *args, **kwargs):
            return False
        client = request.client
        if client.client_type == client.CLIENT_PUBLIC:
            # Only an empty secret matches a public client's: it identified itself.
            return True
        return self._auth_method(client) in SECRET_METHODS and bool(self._presented_secret(request))

    @staticmethod
    def _body_secret(request) -> str:
        try:
            return request.client_secret or ""
        except AttributeError:
            return ""

    def _presented_secret(self, request) -> str:
        auth = self._extract_basic_auth(request)
        if not auth:
            return self._body_secret(request)
        try:
            decoded = base64.b64decode(auth).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return ""
        return unquote_plus(decoded.split(":", 1)[1]) if ":" in decoded else ""

    @staticmethod
    def _auth_method(client) -> str:
        profile = getattr(client, "profile", None)
        if client.client_type == client.CLIENT_PUBLIC:
            return ClientAuthMethod.NONE
        if profile is None:
            return ClientAuthMethod.CLIENT_SECRET_BASIC
        return profile.token_endpoint_auth_method

    def _load_application(self, client_id, request):
        # PostgreSQL refuses NUL in text (psycopg 3 raises DataError, which DOT does not
        # expect): such an identifier names no client.
        if isinstance(client_id, str) and ("\x00" in client_id or len(client_id) > 100):
            return None
        return super()._load_application(client_id, request)

    def is_pkce_required(self, client_id, request):
        """PKCE is required of public clients and accepted from confidential ones."""
        if not isinstance(client_id, str) or "\x00" in client_id:
            return True
        application = get_application_model().objects.filter(client_id=client_id).first()
        return application is None or application.client_type == application.CLIENT_PUBLIC

    # ---------------------------------------------- authorization endpoint side

    def validate_silent_login(self, request):
        # Whether someone is logged in is decided by the authorization view, which has
        # the session; it answers prompt=none with login_required itself.
        return True

    def validate_silent_authorization(self, request):
        # Likewise consent: the authorization view answers consent_required.
        return True

    def validate_user_match(self, id_token_hint, scopes, claims, request):
        """An id_token_hint must be an ID token this provider issued to this client
        (expired ones are fine: it is only a hint)."""
        if not id_token_hint:
            return True
        record, _claims = self.load_id_token(id_token_hint, accept_expired=True)
        return record is not None and record.application.client_id == request.client_id

    def save_authorization_code(self, client_id, code, request, *args, **kwargs):
        """Store the code (DOT's Grant) with how the citizen logged in, given by the
        authorization view as ``auth_context`` in the credentials."""
        with transaction.atomic():
            super().save_authorization_code(client_id, code, request, *args, **kwargs)
            given = getattr(request, "auth_context", None) or {}
            account = request.user
            auth_time = given.get("auth_time")
            if isinstance(auth_time, int | float):
                auth_time = datetime.fromtimestamp(auth_time, tz=UTC)
            elif not isinstance(auth_time, datetime):
                auth_time = account.last_login or timezone.now()
            session_key = given.get("session_key")
            AuthorizationContext.objects.create(
                code_hash=code_hash(code["code"]),
                application=request.client,
                account=account,
                auth_time=auth_time,
                amr=list(given.get("amr") or ["pwd"]),
                acr=given.get("acr") or ACR_BY_LEVEL.get(account.level, ""),
                session=(
                    AccountSession.objects.filter(
                        session_key=session_key, account=account, ended_at__isnull=True
                    ).first()
                    if isinstance(session_key, str) and session_key
                    else None
                ),
            )

    # ------------------------------------------------------- token endpoint side

    def get_authorization_code_scopes(self, client_id, code, redirect_uri, request):
        # oauthlib asks before anything is validated (to choose the OpenID Connect grant).
        if not _plausible_code(code):
            return []
        return super().get_authorization_code_scopes(client_id, code, redirect_uri, request)

    def get_authorization_code_nonce(self, client_id, code, redirect_uri, request):
        if not _plausible_code(code):
            return None
        return super().get_authorization_code_nonce(client_id, code, redirect_uri, request)

    def validate_code(self, client_id, code, client, request, *args, **kwargs):
        """A code is exchanged once. The claim is a row lock plus a conditional update, so
        of two concurrent exchanges one wins; any later one is a replay, refused, and
        revokes what the first exchange issued."""
        if not _plausible_code(code):
            return False
        with transaction.atomic():
            context = (
                # Lock the code's row only: locking the joined client row too would
                # make every exchange of that client wait for the one before it.
                AuthorizationContext.objects.select_for_update(of=("self",))
                .select_related("application", "account", "session")
                .filter(code_hash=code_hash(code))
                .first()
            )
            if context is None or context.application_id != client.pk:
                return False
            if context.session is not None and context.session.ended_at is not None:
                # The session the code was issued in has ended (logout, expiry, a new
                # password): what it started is not handed out any more.
                return False
            if context.used_at is not None:
                self._code_replayed(context)
                return False
            grant = get_grant_model().objects.filter(code=code, application=client).first()
            if grant is None or grant.is_expired() or not grant.user.is_active:
                return False
            # Refused before the code is spent, so a wrong guess does not burn it: a
            # PKCE verifier or a redirect_uri that does not match (RFC 6749 §5.2), or a
            # verifier for a code issued without a challenge (PKCE downgrade, RFC 9700
            # §2.1.1: someone removed the challenge from the authorization request).
            if grant.code_challenge and not self._verifier_matches(grant, request):
                return False
            if not grant.code_challenge and getattr(request, "code_verifier", None):
                return False
            redirect_uri = getattr(request, "redirect_uri", None)
            if redirect_uri is not None and not grant.redirect_uri_allowed(redirect_uri):
                return False
            claimed = AuthorizationContext.objects.filter(
                pk=context.pk, used_at__isnull=True
            ).update(used_at=timezone.now())
            if not claimed:
                self._code_replayed(context)
                return False
        request.scopes = grant.scope.split(" ")
        request.user = grant.user
        if grant.nonce:
            request.nonce = grant.nonce
        if grant.claims:
            try:
                request.claims = json.loads(grant.claims)
            except ValueError:
                request.claims = {}
        request.egisz_context = context
        return True

    @staticmethod
    def _verifier_matches(grant, request) -> bool:
        verifier = getattr(request, "code_verifier", None)
        if not isinstance(verifier, str) or not verifier:
            return False
        if grant.code_challenge_method != "S256":
            return False
        return code_challenge_method_s256(verifier, grant.code_challenge)

    @staticmethod
    def _code_replayed(context: AuthorizationContext) -> None:
        revoke_tokens_from(context)
        record_event(
            action=IdpAction.CODE_REPLAYED,
            subject=context.account,
            success=False,
            client=context.application.client_id,
        )

    def save_bearer_token(self, token, request, *args, **kwargs):
        """A code is exchanged for a refresh token only when the citizen agreed to
        offline_access, or the client is registered to get one at every login (OpenID
        Connect Core §11); otherwise the response and the database get none. A refresh
        grant is not asked again: its token came under the same rule, and rotates."""
        if request.grant_type == "authorization_code" and not self._gets_refresh_token(request):
            token.pop("refresh_token", None)
        return super().save_bearer_token(token, request, *args, **kwargs)

    @staticmethod
    def _gets_refresh_token(request) -> bool:
        if OFFLINE_ACCESS in (request.scopes or []):
            return True
        profile = getattr(request.client, "profile", None)
        return profile is not None and profile.always_refresh_tokens

    def _create_access_token(self, expires, request, token, source_refresh_token=None):
        access_token = super()._create_access_token(
            expires, request, token, source_refresh_token=source_refresh_token
        )
        context = getattr(request, "egisz_context", None)
        if request.grant_type == "authorization_code" and context is not None:
            AuthorizationContext.objects.filter(pk=context.pk).update(access_token=access_token)
            context.access_token = access_token
        return access_token

    def _create_refresh_token(
        self, request, refresh_token_code, access_token, previous_refresh_token
    ):
        refresh_token = super()._create_refresh_token(
            request, refresh_token_code, access_token, previous_refresh_token
        )
        context = getattr(request, "egisz_context", None)
        if previous_refresh_token is None and context is not None and context.token_family is None:
            AuthorizationContext.objects.filter(pk=context.pk).update(
                token_family=refresh_token.token_family
            )
            context.token_family = refresh_token.token_family
        return refresh_token

    def validate_refresh_token(self, refresh_token, client, request, *args, **kwargs):
        if not isinstance(refresh_token, str) or len(refresh_token) > MAX_TOKEN_LENGTH:
            return False
        if not super().validate_refresh_token(refresh_token, client, request, *args, **kwargs):
            return False
        if not request.user.is_active:
            return False
        family = request.refresh_token_instance.token_family
        if family is not None:
            context = (
                AuthorizationContext.objects.select_related("session")
                .filter(token_family=family)
                .first()
            )
            request.egisz_context = context
            if context is not None and context.session_id is not None:
                sessions.touch_sessions([context.session_id], now=timezone.now())
        return True

    # ------------------------------------------------------------------ ID token

    def get_id_token_dictionary(self, token, token_handler, request):
        account = request.user
        client = request.client
        expiration = timezone.now() + timedelta(seconds=oauth2_settings.ID_TOKEN_EXPIRE_SECONDS)
        context = getattr(request, "egisz_context", None)
        if context is not None:
            auth_time, acr, amr = context.auth_time, context.acr, list(context.amr)
        else:
            auth_time = account.last_login or timezone.now()
            acr, amr = ACR_BY_LEVEL.get(account.level, ""), ["pwd"]
        id_claims = {
            "iss": issuer(),
            "sub": subject_for(account, client),
            "azp": client.client_id,
            "exp": int(expiration.timestamp()),
            "auth_time": int(auth_time.timestamp()),
            "acr": acr,
            "amr": amr,
            "jti": str(uuid.uuid4()),
        }
        session = context.session if context is not None else None
        if session is not None:
            id_claims["sid"] = sid_for(session, client)
        for name, value in self._requested_claims(request, "id_token").items():
            id_claims.setdefault(name, value)
        return id_claims, expiration

    @staticmethod
    def _requested_claims(request, target: str) -> dict:
        """Claims the `claims` request parameter asks for in ``target`` ("id_token" or
        "userinfo"), released only as far as a granted scope covers them."""
        requested = getattr(request, "claims", None)
        wanted = requested.get(target) if isinstance(requested, dict) else None
        if not isinstance(wanted, dict) or request.user is None:
            return {}
        released = claims_for(request.user, request.scopes or [])
        return {name: released[name] for name in wanted if name in released}

    @staticmethod
    def id_token_algorithm(client) -> str:
        return keys.client_algorithm(client)

    def finalize_id_token(self, id_token, token, token_handler, request):
        """Sign the ID token with the client's algorithm from the project's key store."""
        id_claims, expiration = self.get_id_token_dictionary(token, token_handler, request)
        id_token.update(id_claims)
        if "nonce" not in id_token and request.nonce:
            id_token["nonce"] = request.nonce
        algorithm = self.id_token_algorithm(request.client)
        key = keys.signing_key(algorithm)
        header = {"typ": "JWT", "alg": algorithm, "kid": key.kid}
        signed = jwt.encode(header, id_token, key, algorithms=[algorithm])
        id_token_model = get_id_token_model()
        with transaction.atomic(using=router.db_for_write(id_token_model)):
            record = self._save_id_token(id_token["jti"], request, expiration)
        request.access_token = record
        request.id_token = record
        return signed

    def load_id_token(self, token, *, accept_expired: bool = False):
        """``(IDToken, claims)`` for an ID token this provider signed and still knows, else
        ``(None, None)``. Verified against the published keys with RS256/ES256 only."""
        if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
            return None, None
        try:
            decoded = jwt.decode(token, keys.verification_keys(), algorithms=ID_TOKEN_ALGORITHMS)
            if decoded.header.get("typ") == access_tokens.TOKEN_TYPE:
                return None, None
            checked = dict(decoded.claims)
            if accept_expired:
                checked.pop("exp", None)
            jwt.JWTClaimsRegistry(
                now=_now_epoch(),
                iss={"essential": True, "value": issuer()},
                aud={"essential": True},
                jti={"essential": True},
                **({} if accept_expired else {"exp": {"essential": True}}),
            ).validate(checked)
            jti = uuid.UUID(decoded.claims["jti"])
        except (JoseError, ValueError, TypeError, KeyError, AttributeError):
            return None, None
        record = (
            get_id_token_model()
            .objects.select_related("application", "user")
            .filter(jti=jti)
            .first()
        )
        if record is None or record.application is None:
            return None, None
        audience = decoded.claims["aud"]
        audiences = [audience] if isinstance(audience, str) else list(audience)
        if record.application.client_id not in audiences:
            return None, None
        return record, decoded.claims

    def _load_id_token(self, token):
        record, _claims = self.load_id_token(token)
        return record

    def _get_key_for_token(self, token):
        """django-oauth-toolkit's own ID-token verification (jwcrypto, with the client's
        secret or one settings key) is not used: ID tokens are read by ``load_id_token``
        with joserfc. Any toolkit path that still asks for a key gets none, so it finds the
        token unverifiable and refuses it."""
        return None

    def validate_id_token(self, token, scopes, request):
        record, _claims = self.load_id_token(token)
        if record is None or not record.allow_scopes(scopes):
            return False
        request.client = record.application
        request.user = record.user
        request.scopes = scopes
        request.access_token = record
        return True

    # ------------------------------------------------------------ bearer tokens

    def validate_bearer_token(self, token, scopes, request):
        if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
            request.oauth2_error = {"error": "invalid_token"}
            return False
        if not super().validate_bearer_token(token, scopes, request):
            return False
        if request.user is not None and not request.user.is_active:
            request.oauth2_error = {"error": "invalid_token"}
            return False
        self._touch_session_of(request.access_token)
        return True

    @staticmethod
    def _touch_session_of(access_token) -> None:
        """A service using an access token keeps the IdP session it came from alive."""
        families = (
            get_refresh_token_model()
            .objects.filter(access_token=access_token, token_family__isnull=False)
            .values("token_family")
        )
        # The code's own access token, or one rotated from its refresh-token family.
        sessions.touch_sessions(
            AuthorizationContext.objects.filter(
                Q(token_family__in=families) | Q(access_token=access_token),
                session__isnull=False,
            ).values("session"),
            now=timezone.now(),
        )

    def validate_jwt_bearer_token(self, token, scopes, request):
        # Access tokens are JWTs too, so oauthlib routes them here: they are checked like
        # any access token (the stored row), and an ID token is never a bearer token.
        return self.validate_bearer_token(token, scopes, request)

    def get_userinfo_claims(self, request):
        """The claims the token's granted scopes release, with the client's `sub`."""
        account = request.user
        released = claims_for(account, list(request.scopes or []))
        released["sub"] = subject_for(account, request.client)
        return released

    def get_additional_claims(self, request):
        return {}
