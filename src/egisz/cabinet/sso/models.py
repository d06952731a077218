"""The provider's grant behind one cabinet session.

The tokens live in this row, not in the session: the provider rotates refresh tokens (and
treats a reused one as theft), so a refresh must be one locked read-modify-write that two
concurrent requests of the same session cannot both perform — a session dict saved by a
slower request would put the old, already used refresh token back. The session keeps only
the row's id (and the ID token, for the logout). Tokens are encrypted at rest."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from egisz.common.crypto import decrypt_text, encrypt_text


class ProviderGrant(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="provider_grants"
    )
    issuer = models.CharField(_("поставщик входа"), max_length=255)
    subject = models.CharField(_("идентификатор у поставщика"), max_length=255)
    access_token_encrypted = models.TextField()
    refresh_token_encrypted = models.TextField(blank=True)
    id_token_encrypted = models.TextField(blank=True)
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

    @property
    def id_token(self) -> str:
        return decrypt_text(self.id_token_encrypted) if self.id_token_encrypted else ""

    @id_token.setter
    def id_token(self, value: str) -> None:
        self.id_token_encrypted = encrypt_text(value) if value else ""
