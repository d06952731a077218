"""The provider's grant behind one cabinet session, the provider's session each cabinet
session belongs to, and the logout tokens already used.

The tokens live in ProviderGrant, not in the session: the provider rotates refresh tokens
(and treats a reused one as theft), so a refresh must be one locked read-modify-write that
two concurrent requests of the same session cannot both perform — a session dict saved by a
slower request would put the old, already used refresh token back. The session keeps only
the row's id. Tokens are encrypted at rest; the ID token is not kept after the login (its
`sid` and `sub` are, in ProviderSessionLink)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from egisz.common.crypto import decrypt_text, encrypt_text
from egisz.common.keyring.fields import EncryptedTextField


class ProviderGrant(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="provider_grants"
    )
    issuer = models.CharField(_("поставщик входа"), max_length=255)
    subject = models.CharField(_("идентификатор у поставщика"), max_length=255)
    access_token_encrypted = EncryptedTextField()
    refresh_token_encrypted = EncryptedTextField(blank=True)
    access_expires_at = models.DateTimeField(null=True, blank=True)
    checked_at = models.DateTimeField(_("последняя проверка доступа"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("доступ, выданный на Госуслугах")
        verbose_name_plural = _("доступы, выданные на Госуслугах")
        indexes = [models.Index(fields=["created_at"], name="sso_grant_created")]

    def __str__(self):
        return f"{self.issuer} {self.subject}"

    @property
    def access_token(self) -> str:
        return decrypt_text(self.access_token_encrypted)

    @access_token.setter
    def access_token(self, value: str) -> None:
        self.access_token_encrypted = encrypt_text(value)

    @property
    def refresh_token(self) -> str:
        return decrypt_text(self.refresh_token_encrypted) if self.refresh_token_encrypted else ""

    @refresh_token.setter
    def refresh_token(self, value: str) -> None:
        self.refresh_token_encrypted = encrypt_text(value) if value else ""


class ProviderSessionLink(models.Model):
    """Which provider session (`sid`) and citizen (`sub`) a cabinet session was opened by,
    written at every login through the provider (full access or limited mode); the session
    keeps the row's id. A back-channel logout deletes the rows of that provider session or
    citizen, and a session whose row is gone is logged out at its next request — in the
    database every process shares, with no session key stored anywhere else."""

    issuer = models.CharField(_("поставщик входа"), max_length=255)
    subject = models.CharField(_("идентификатор у поставщика"), max_length=255)
    # Empty when the provider's ID token carries no `sid`: such a session is found by `sub`.
    sid = models.CharField(_("сеанс у поставщика"), max_length=255, blank=True)
    # The grant of a full-access session; a limited-mode session has none.
    grant = models.OneToOneField(
        ProviderGrant,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="session_link",
        verbose_name=_("доступ"),
    )
    created_at = models.DateTimeField(_("вход"), default=timezone.now)

    class Meta:
        verbose_name = _("сеанс кабинета, открытый через Госуслуги")
        verbose_name_plural = _("сеансы кабинета, открытые через Госуслуги")
        indexes = [
            models.Index(fields=["issuer", "sid"], name="sso_link_sid"),
            models.Index(fields=["issuer", "subject"], name="sso_link_subject"),
            models.Index(fields=["created_at"], name="sso_link_created"),
        ]

    def __str__(self):
        return f"{self.issuer} {self.subject} {self.sid}".rstrip()

    @property
    def logout_hint(self) -> str:
        """What names this session to the provider's end-session endpoint (RP-Initiated
        Logout `logout_hint`): its session id, or the subject when it gave none."""
        return self.sid or self.subject


class UsedLogoutToken(models.Model):
    """A back-channel logout token already accepted, kept until it expires: the same `jti`
    from the same issuer is refused (a unique row, so two processes cannot both accept it)."""

    # SHA-256 of issuer and jti: fixed length whatever the provider's jti looks like.
    digest = models.CharField(_("отпечаток"), max_length=64, unique=True)
    expires_at = models.DateTimeField(_("действует до"), db_index=True)

    class Meta:
        verbose_name = _("использованный токен выхода")
        verbose_name_plural = _("использованные токены выхода")

    def __str__(self):
        return self.digest
