"""What the OpenID Connect provider keeps beside django-oauth-toolkit's own tables.

DOT's Application, Grant and token models are used as they are; the project's policy
lives in side tables linked to them, so DOT's models and migrations stay standard.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from oauth2_provider.settings import oauth2_settings


class SigningKey(models.Model):
    """A key that signs ID tokens (and JWT access tokens). Its private half is encrypted
    with the field-encryption key; the public half stays in the JWKS until every token it
    signed has expired."""

    class Algorithm(models.TextChoices):
        RS256 = "RS256", "RS256"
        ES256 = "ES256", "ES256"

    kid = models.CharField(max_length=64, unique=True)
    algorithm = models.CharField(max_length=8, choices=Algorithm.choices)
    encrypted_private_key = models.TextField()
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
