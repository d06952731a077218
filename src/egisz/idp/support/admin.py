"""The operators' console: Django admin mounted at /support/.

Accounts are looked at here, never edited field by field: the changes an operator may make
(confirm identity, create an account, lift a lock) are actions that go through
support.services, so each is checked, journalled and told to the citizen.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from egisz.common.audit.services import record_event
from egisz.common.identifiers import normalize_mobile_phone, normalize_snils
from egisz.common.request_meta import RequestMeta
from egisz.idp.accounts.models import (
    Account,
    DemoRegistryRecord,
    IdentityConfirmation,
    RegistryCheck,
)
from egisz.idp.accounts.registry import describe_mismatch
from egisz.idp.accounts.services import AccountError
from egisz.idp.audit_actions import IdpAction
from egisz.idp.authn import lockout
from egisz.idp.support import services
from egisz.idp.support.forms import ConfirmIdentityForm, OperatorAccountForm


def _posted(request):
    return request.POST if request.method == "POST" else None


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class IdentityConfirmationInline(ReadOnlyInline):
    model = IdentityConfirmation
    fk_name = "account"
    fields = ("created_at", "method", "operator", "note")
    readonly_fields = fields


@admin.display(description=RegistryCheck._meta.get_field("reason").verbose_name)
def registry_reason(check):
    """What did not match, in words (the row keeps codes)."""
    return describe_mismatch(check.reason) if check.status == check.Status.REJECTED else "—"


class RegistryCheckInline(ReadOnlyInline):
    model = RegistryCheck
    fields = ("created_at", "status", "attempts", registry_reason, "finished_at")
    readonly_fields = fields


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = (
        "full_name",
        "phone_display",
        "snils_display",
        "level",
        "email",
        "is_active",
        "is_staff",
        "date_joined",
    )
    list_filter = ("level", "is_active", "is_staff", "email_confirmed", "must_change_password")
    search_fields = ("last_name", "first_name", "middle_name", "email")
    ordering = ("-date_joined",)
    list_per_page = 50
    fieldsets = (
        (
            gettext_lazy("Личные данные"),
            {
                "fields": (
                    "last_name",
                    "first_name",
                    "middle_name",
                    "birth_date",
                    "snils_display",
                    "passport_display",
                    "inn",
                )
            },
        ),
        (gettext_lazy("Контакты"), {"fields": ("phone_display", "email", "email_confirmed")}),
        (gettext_lazy("Уровень"), {"fields": ("level",)}),
        (
            gettext_lazy("Вход"),
            {
                "fields": (
                    "is_active",
                    "must_change_password",
                    "login_locked_until",
                    "last_login",
                    "date_joined",
                    "is_staff",
                )
            },
        ),
    )
    # Everything is read-only: no password hash, and no security field an operator could
    # flip without the journal and the citizen knowing.
    readonly_fields = tuple(name for _title, block in fieldsets for name in block["fields"])
    # Who is an operator, and whether an account may log in at all, is decided by a
    # superuser; each such change is journalled (save_model).
    SUPERUSER_EDITABLE = ("is_active", "is_staff", "groups")
    inlines = (IdentityConfirmationInline, RegistryCheckInline)
    actions = ("unlock_selected",)

    @admin.display(description=gettext_lazy("СНИЛС"))
    def snils_display(self, obj):
        return obj.snils_display

    @admin.display(description=gettext_lazy("Паспорт"))
    def passport_display(self, obj):
        return obj.passport_display

    @admin.display(description=gettext_lazy("Телефон"), ordering="phone")
    def phone_display(self, obj):
        return obj.phone_display

    @admin.display(description=gettext_lazy("ФИО"), ordering="last_name")
    def full_name(self, obj):
        return obj.full_name

    @admin.display(description=gettext_lazy("Вход заблокирован до"))
    def login_locked_until(self, obj):
        # Locks are kept per identifier (phone, e-mail, СНИЛС): the latest one on now.
        until = lockout.account_locked_until(obj)
        return formats.localize(timezone.localtime(until)) if until else "—"

    def get_search_results(self, request, queryset, search_term):
        """Phones and СНИЛС are found however the operator types them."""
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        exact = Q()
        for field, normalize in (("phone", normalize_mobile_phone), ("snils", normalize_snils)):
            try:
                exact |= Q(**{field: normalize(search_term)})
            except ValidationError:
                continue
        if exact:
            results = results | queryset.filter(exact)
        return results, may_have_duplicates

    def has_delete_permission(self, request, obj=None):
        # Accounts are blocked, not deleted: the journal and confirmations refer to them.
        return False

    def get_urls(self):
        own = [
            path(
                "<path:object_id>/confirm-identity/",
                self.admin_site.admin_view(self.confirm_identity_view),
                name="accounts_account_confirm_identity",
            )
        ]
        return own + super().get_urls()

    def get_fieldsets(self, request, obj=None):
        if not request.user.is_superuser:
            return self.fieldsets
        *head, (title, block) = self.fieldsets
        return (*head, (title, {"fields": (*block["fields"], "groups")}))

    def get_readonly_fields(self, request, obj=None):
        if not request.user.is_superuser:
            return self.readonly_fields
        return tuple(f for f in self.readonly_fields if f not in self.SUPERUSER_EDITABLE)

    def save_model(self, request, obj, form, change):
        changed = [name for name in form.changed_data if name in self.SUPERUSER_EDITABLE]
        fields = [name for name in changed if name != "groups"]  # groups: save_related
        if fields:
            obj.save(update_fields=fields)
        if changed:
            record_event(
                action=IdpAction.ACCOUNT_ROLES_CHANGED,
                meta=RequestMeta.from_request(request),
                actor=request.user,
                subject=obj,
                fields=changed,
                is_active=obj.is_active,
                is_staff=obj.is_staff,
            )
        if "is_active" in changed and not obj.is_active:
            services.sign_out_blocked_account(
                account=obj, operator=request.user, meta=RequestMeta.from_request(request)
            )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        editable = request.user.is_superuser
        extra = {
            "show_save": editable,
            "show_save_and_continue": editable,
            "show_save_and_add_another": False,
            "show_delete": False,
            "can_confirm_identity": request.user.has_perm("accounts.confirm_identity"),
        }
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    def add_view(self, request, form_url="", extra_context=None):
        """«Добавить учётную запись»: through the service, with a temporary password by SMS."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = OperatorAccountForm(_posted(request))
        if request.method == "POST" and form.is_valid():
            try:
                account = services.create_account_by_operator(
                    operator=request.user,
                    person=form.person(),
                    meta=RequestMeta.from_request(request),
                    site_url=request.build_absolute_uri("/"),
                )
            except AccountError as refusal:
                form.add_error(None, refusal.message)
            else:
                self.message_user(
                    request,
                    _(
                        "Учётная запись создана. Временный пароль отправлен в SMS на номер "
                        "гражданина; при первом входе его нужно будет сменить."
                    ),
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(
                    reverse("admin:accounts_account_change", args=[account.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Новая учётная запись"),
            "form": form,
            "intro": _(
                "Заполните данные по паспорту и СНИЛС гражданина. Пароль не вводится: "
                "гражданин получит временный пароль в SMS и сменит его при первом входе."
            ),
            "submit_label": _("Создать учётную запись"),
        }
        status = 400 if request.method == "POST" else 200
        return TemplateResponse(request, "support/operator_form.html", context, status=status)

    def confirm_identity_view(self, request, object_id):
        if not request.user.has_perm("accounts.confirm_identity"):
            raise PermissionDenied
        account = get_object_or_404(Account, pk=object_id)
        form = ConfirmIdentityForm(_posted(request))
        if request.method == "POST" and form.is_valid():
            try:
                services.confirm_identity(
                    account=account,
                    operator=request.user,
                    method=form.cleaned_data["method"],
                    note=form.cleaned_data["note"],
                    meta=RequestMeta.from_request(request),
                )
            except AccountError as refusal:
                form.add_error(None, refusal.message)
            else:
                self.message_user(
                    request,
                    _("Личность подтверждена: %(name)s.") % {"name": account.full_name},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(
                    reverse("admin:accounts_account_change", args=[account.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": account,
            "title": _("Подтверждение личности: %(name)s") % {"name": account.full_name},
            "form": form,
            "intro": _(
                "Сверьте паспорт с данными учётной записи: %(name)s, дата рождения %(birth)s, "
                "паспорт %(passport)s, СНИЛС %(snils)s."
            )
            % {
                "name": account.full_name,
                "birth": account.birth_date.strftime("%d.%m.%Y") if account.birth_date else "—",
                "passport": account.passport_display or "—",
                "snils": account.snils_display or "—",
            },
            "submit_label": _("Подтвердить личность"),
        }
        status = 400 if request.method == "POST" else 200
        return TemplateResponse(request, "support/operator_form.html", context, status=status)

    @admin.action(description=gettext_lazy("Снять временную блокировку входа"))
    def unlock_selected(self, request, queryset):
        if not request.user.has_perm("accounts.change_account"):
            raise PermissionDenied
        meta = RequestMeta.from_request(request)
        unlocked = sum(
            services.unlock_account(account=account, operator=request.user, meta=meta)
            for account in queryset
        )
        self.message_user(
            request, _("Снята блокировка: %(n)d.") % {"n": unlocked}, messages.SUCCESS
        )


@admin.register(RegistryCheck)
class RegistryCheckAdmin(admin.ModelAdmin):
    list_display = ("account", "status", "attempts", "created_at", "next_attempt_at", "finished_at")
    list_filter = ("status",)
    list_select_related = ("account",)
    fields = (
        "account",
        "status",
        "attempts",
        "next_attempt_at",
        registry_reason,
        "created_at",
        "finished_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(IdentityConfirmation)
class IdentityConfirmationAdmin(admin.ModelAdmin):
    list_display = ("account", "method", "operator", "created_at")
    list_filter = ("method",)
    list_select_related = ("account", "operator")
    readonly_fields = ("account", "method", "operator", "note", "created_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DemoRegistryRecord)
class DemoRegistryRecordAdmin(admin.ModelAdmin):
    """The demo stand-in for the official registry; superusers may edit it."""

    list_display = ("last_name", "first_name", "middle_name", "birth_date", "snils", "passport")
    search_fields = ("last_name", "snils", "passport")
