"""Partner clients in the operator console: DOT's application admin with the project's
client profile (allowed scopes, subject type, signing algorithm) inline; DOT's token and
code admins with Russian columns and actions (DOT writes those in English outside gettext).
"""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from oauth2_provider import admin as dot_admin
from oauth2_provider.admin import ApplicationAdmin

from egisz.common.audit.services import record_event
from egisz.common.request_meta import RequestMeta
from egisz.idp.audit_actions import IdpAction
from egisz.idp.oidc.claims import SCOPES
from egisz.idp.oidc.models import ClientProfile, Consent, LogoutDelivery
from egisz.idp.oidc.services import ClientError, validate_backchannel_logout_uri


class ClientProfileForm(forms.ModelForm):
    class Meta:
        model = ClientProfile
        fields = [
            "allowed_scopes",
            "pairwise_subject",
            "always_refresh_tokens",
            "id_token_algorithm",
            "backchannel_logout_uri",
            "description",
        ]

    def clean_allowed_scopes(self):
        scopes = self.cleaned_data["allowed_scopes"].split()
        unknown = [scope for scope in scopes if scope not in SCOPES]
        if unknown:
            raise forms.ValidationError(
                _("Неизвестные области доступа: %(s)s.") % {"s": ", ".join(unknown)}
            )
        if "openid" not in scopes:
            scopes.insert(0, "openid")
        return " ".join(dict.fromkeys(scopes))

    def clean_backchannel_logout_uri(self):
        uri = self.cleaned_data["backchannel_logout_uri"].strip()
        if uri:
            try:
                validate_backchannel_logout_uri(uri)
            except ClientError as error:
                raise forms.ValidationError(error.message) from error
        return uri


class ClientProfileInline(admin.StackedInline):
    model = ClientProfile
    form = ClientProfileForm
    can_delete = False
    min_num = 1
    max_num = 1


class ClientAdmin(ApplicationAdmin):
    list_display = ("name", "client_id", "client_type", "authorization_grant_type", "created")
    inlines = [ClientProfileInline]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        record_event(
            action=IdpAction.CLIENT_CHANGED if change else IdpAction.CLIENT_CREATED,
            meta=RequestMeta.from_request(request),
            actor=request.user,
            subject=f"client:{obj.client_id}",
            fields=sorted(form.changed_data),
        )

    def delete_model(self, request, obj):
        record_event(
            action=IdpAction.CLIENT_DELETED,
            meta=RequestMeta.from_request(request),
            actor=request.user,
            subject=f"client:{obj.client_id}",
        )
        super().delete_model(request, obj)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows that only the system writes: listed and opened, never added, edited or deleted."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Consent)
class ConsentAdmin(ReadOnlyAdmin):
    """Consents are given and withdrawn by citizens only: read-only here."""

    list_display = ("given_at", "account", "application", "scopes", "withdrawn_at")
    list_filter = ("application",)
    search_fields = ("application__name", "application__client_id")
    raw_id_fields = ("account",)


@admin.register(LogoutDelivery)
class LogoutDeliveryAdmin(ReadOnlyAdmin):
    """Logout tokens sent to services (back-channel logout): written by events, delivered
    by the worker; read-only here, so a failed delivery can be found and its error read."""

    list_display = ("created_at", "application", "reason", "status", "attempts", "finished_at")
    list_filter = ("status", "reason", "application")
    list_select_related = ("application",)
    raw_id_fields = ("account",)
    readonly_fields = (
        "application",
        "account",
        "sub",
        "sid",
        "reason",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "created_at",
        "finished_at",
    )


class MaskedTokenColumn:
    @admin.display(description=gettext_lazy("токен"))
    def masked_token(self, obj):
        return super().masked_token(obj)


class AccessTokenAdmin(MaskedTokenColumn, dot_admin.AccessTokenAdmin):
    list_display = ("masked_token", "user", "application", "expires")

    @admin.action(description=gettext_lazy("Отозвать выбранные токены доступа"))
    def revoke_tokens(self, request, queryset):
        return super().revoke_tokens(request, queryset)


class RefreshTokenAdmin(MaskedTokenColumn, dot_admin.RefreshTokenAdmin):
    list_display = ("masked_token", "user", "application", "created", "revoked")

    @admin.action(description=gettext_lazy("Отозвать выбранные токены обновления"))
    def revoke_tokens(self, request, queryset):
        return super().revoke_tokens(request, queryset)


class GrantAdmin(dot_admin.GrantAdmin):
    list_display = ("masked_code", "application", "user", "expires")

    @admin.display(description=gettext_lazy("код"))
    def masked_code(self, obj):
        return super().masked_code(obj)
