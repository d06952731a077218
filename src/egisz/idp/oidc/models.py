"""What the OpenID Connect provider keeps beside django-oauth-toolkit's own tables.

DOT's Application, Grant and token models are used as they are; the project's policy
lives in side tables linked to them, so DOT's models and migrations stay standard.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from oauth2_provider.settings import oauth2_settings

from egisz.common.keyring.fields import EncryptedTextField


class SigningKey(models.Model):
    """A key that signs ID tokens (and JWT access tokens). Its private half is encrypted
    with the field-encryption key ring; the public half stays in the JWKS until every token it
    signed has expired."""

    class Algorithm(models.TextChoices):
        RS256 = "RS256", "RS256"
        ES256 = "ES256", "ES256"

    kid = models.CharField(max_length=64, unique=True)
    algorithm = models.CharField(max_length=8, choices=Algorithm.choices)
    encrypted_private_key = EncryptedTextField()
    created_at = models.DateTimeField(default=timezone.now)
    # Set when a newer key of the same algorithm takes over signing.
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("ключ подписи")
        verbose_name_plural = _("ключи подписи")
        constraints = [
            # One key signs per algorithm; older ones are retired (and still published).
            models.UniqueConstraint(
                fields=["algorithm"],
                condition=models.Q(retired_at__isnull=True),
                name="one_current_signing_key_per_algorithm",
            )
        ]

    def __str__(self):
        return f"{self.algorithm} {self.kid}"


class ClientAuthMethod(models.TextChoices):
    CLIENT_SECRET_BASIC = "client_secret_basic", "client_secret_basic"
    CLIENT_SECRET_POST = "client_secret_post", "client_secret_post"
    PRIVATE_KEY_JWT = "private_key_jwt", "private_key_jwt"
    NONE = "none", _("нет (публичный клиент)")


class ClientProfile(models.Model):
    """The project's policy for one DOT application (a partner service)."""

    application = models.OneToOneField(
        oauth2_settings.APPLICATION_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    allowed_scopes = models.CharField(
        _("разрешённые области доступа"),
        max_length=500,
        help_text=_("Через пробел, например: openid fullname birthdate snils"),
    )
    pairwise_subject = models.BooleanField(_("свой идентификатор гражданина"), default=False)
    id_token_algorithm = models.CharField(
        _("алгоритм подписи ID-токена"),
        max_length=8,
        choices=SigningKey.Algorithm.choices,
        default=SigningKey.Algorithm.RS256,
    )
    description = models.CharField(_("описание для гражданина"), max_length=300, blank=True)
    # How the client authenticates at the token, introspection and revocation endpoints:
    # with its secret (HTTP Basic or in the body, either is accepted) or with a JWT signed
    # by one of the keys in ``jwks`` (private_key_jwt, RFC 7523). Public clients use none.
    token_endpoint_auth_method = models.CharField(
        _("способ аутентификации клиента"),
        max_length=32,
        choices=ClientAuthMethod.choices,
        default=ClientAuthMethod.CLIENT_SECRET_BASIC,
    )
    jwks = models.JSONField(_("открытые ключи клиента (JWKS)"), null=True, blank=True)
    # A refresh token is issued only when the client asks for offline_access and the
    # citizen agrees (OpenID Connect Core §11), or, with this set, at every login: for the
    # operator's own services that refresh while the citizen's session lasts (the cabinet).
    always_refresh_tokens = models.BooleanField(
        _("выдавать токен обновления при каждом входе"),
        default=False,
        help_text=_(
            "Для собственных сервисов оператора, которые обновляют токены, пока гражданин "
            "в них работает (личный кабинет ЕГИСЗ). Без отметки токен обновления выдаётся, "
            "только если сервис запросил область offline_access и гражданин согласился."
        ),
    )
    # OpenID Connect Back-Channel Logout 1.0: where the provider POSTs a logout token when
    # a citizen's session with this client ends (empty: the client is not told).
    backchannel_logout_uri = models.CharField(
        _("адрес для уведомлений о выходе"),
        max_length=500,
        blank=True,
        help_text=_(
            "Сюда Госуслуги отправят токен выхода, когда сеанс гражданина завершится, "
            "например https://partner.example/backchannel-logout"
        ),
    )

    class Meta:
        verbose_name = _("настройки клиента")
        verbose_name_plural = _("настройки клиентов")

    def __str__(self):
        return str(self.application)

    @property
    def scope_set(self) -> set[str]:
        return set(self.allowed_scopes.split())


class Consent(models.Model):
    """A citizen's consent to hand the listed data to one client (152-ФЗ)."""

    class Via(models.TextChoices):
        SCREEN = "screen", _("на экране согласия")

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="consents",
        verbose_name=_("учётная запись"),
    )
    application = models.ForeignKey(
        oauth2_settings.APPLICATION_MODEL,
        on_delete=models.CASCADE,
        related_name="consents",
        verbose_name=_("клиент"),
    )
    scopes = models.CharField(_("области доступа"), max_length=500)
    given_at = models.DateTimeField(_("дано"), default=timezone.now)
    given_via = models.CharField(
        _("где дано"), max_length=16, choices=Via.choices, default=Via.SCREEN
    )
    withdrawn_at = models.DateTimeField(_("отозвано"), null=True, blank=True)

    class Meta:
        ordering = ["-given_at"]
        verbose_name = _("согласие на передачу данных")
        verbose_name_plural = _("согласия на передачу данных")
        indexes = [models.Index(fields=["account", "application"], name="consent_lookup")]

    def __str__(self):
        return f"{self.account_id} → {self.application_id}: {self.scopes}"

    @property
    def scope_set(self) -> set[str]:
        return set(self.scopes.split())


class AuthorizationContext(models.Model):
    """How the citizen logged in when an authorization code was issued, carried to the ID
    token (auth_time, amr, acr) and used to revoke tokens when a code is replayed."""

    code_hash = models.CharField(max_length=64, unique=True)
    application = models.ForeignKey(oauth2_settings.APPLICATION_MODEL, on_delete=models.CASCADE)
    account = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    auth_time = models.DateTimeField()
    amr = models.JSONField(default=list)
    acr = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)
    # The refresh-token family (DOT's RefreshToken.token_family) of the tokens the code
    # was exchanged for: a replayed code revokes the whole family.
    token_family = models.UUIDField(null=True, blank=True, db_index=True)
    # The access token the code was exchanged for, so that a replayed code revokes it when
    # no refresh token (and so no family) came with it.
    access_token = models.ForeignKey(
        oauth2_settings.ACCESS_TOKEN_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # The IdP session the code was issued in: its `sid` goes into the ID tokens, and when
    # it ends the client is told (back-channel logout) and these tokens are revoked.
    session = models.ForeignKey(
        "authn.AccountSession",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="authorization_contexts",
        verbose_name=_("сеанс"),
    )

    class Meta:
        verbose_name = _("обстоятельства входа при выдаче кода")
        verbose_name_plural = _("обстоятельства входа при выдаче кодов")

    def __str__(self):
        return f"{self.application_id}/{self.account_id} at {self.auth_time:%Y-%m-%d %H:%M}"


class UsedClientAssertion(models.Model):
    """A private_key_jwt client assertion already presented (its ``jti``), kept until the
    assertion expires so that it cannot be replayed."""

    application = models.ForeignKey(oauth2_settings.APPLICATION_MODEL, on_delete=models.CASCADE)
    jti_hash = models.CharField(max_length=64)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("использованное утверждение клиента")
        verbose_name_plural = _("использованные утверждения клиентов")
        constraints = [
            models.UniqueConstraint(
                fields=["application", "jti_hash"], name="client_assertion_jti_once"
            )
        ]

    def __str__(self):
        return f"{self.application_id}: {self.jti_hash[:12]}…"


class SignOutReason(models.TextChoices):
    """Why a citizen's sessions with services end (back-channel logout, revocation)."""

    LOGOUT = "logout", _("выход на Госуслугах")
    RP_LOGOUT = "rp_logout", _("выход по запросу сервиса")
    SESSION_ENDED = "session_ended", _("сеанс завершён владельцем")
    EXPIRED = "expired", _("сеанс истёк")
    NEW_LOGIN = "new_login", _("новый вход в том же браузере")
    OTHER_SESSIONS_ENDED = "other_sessions_ended", _("завершены все сеансы, кроме текущего")
    PASSWORD_CHANGED = "password_changed", _("пароль изменён")
    PASSWORD_RECOVERED = "password_recovered", _("пароль восстановлен")
    ACCOUNT_BLOCKED = "account_blocked", _("учётная запись заблокирована")
    CONSENT_WITHDRAWN = "consent_withdrawn", _("согласие отозвано")


class LogoutDelivery(models.Model):
    """One logout token to POST to one client's back-channel logout address (OpenID
    Connect Back-Channel Logout 1.0). The row is written in the transaction of the event
    that ends the citizen's sessions; the worker signs and sends the token, retrying with
    back-off until the client answers 2xx or the retry period is over."""

    class Status(models.TextChoices):
        PENDING = "pending", _("ожидает отправки")
        DELIVERED = "delivered", _("доставлено")
        FAILED = "failed", _("не доставлено")

    application = models.ForeignKey(
        oauth2_settings.APPLICATION_MODEL,
        on_delete=models.CASCADE,
        related_name="logout_deliveries",
        verbose_name=_("сервис"),
    )
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="logout_deliveries",
        verbose_name=_("гражданин"),
    )
    # The claims that name what ended, fixed when the event happened: `sub` as this client
    # knows the citizen, and `sid` when one session ended (empty: every session of `sub`).
    sub = models.CharField(_("идентификатор гражданина у сервиса (sub)"), max_length=255)
    sid = models.CharField(_("идентификатор сеанса у сервиса (sid)"), max_length=64, blank=True)
    reason = models.CharField(_("причина"), max_length=32, choices=SignOutReason.choices)
    status = models.CharField(
        _("состояние"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("попыток"), default=0)
    next_attempt_at = models.DateTimeField(_("следующая попытка"), default=timezone.now)
    last_error = models.CharField(_("последняя ошибка"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("создано"), default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(_("завершено"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("уведомление сервиса о выходе")
        verbose_name_plural = _("уведомления сервисов о выходе")
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="pending"),
                name="logout_delivery_due",
            )
        ]

    def __str__(self):
        return f"{self.application_id} ← {self.sid or self.sub} ({self.get_status_display()})"
