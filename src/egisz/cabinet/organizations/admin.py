"""The operator console (/operator/): the directory, and decisions on attachment requests.

Until the organisations have their own workspace, an operator accepts or rejects requests
for them here. A decision is made on its own page (accept, or reject with a reason the
patient will read), never as a bulk action, and goes through services, so the patient is
notified and the journal records who decided.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from egisz.cabinet.organizations import services
from egisz.cabinet.organizations.forms import DecisionForm
from egisz.cabinet.organizations.models import Attachment, InsurancePolicy, MedicalOrganization
from egisz.common.request_meta import RequestMeta


@admin.register(MedicalOrganization)
class MedicalOrganizationAdmin(admin.ModelAdmin):
    list_display = ("short_name", "kind", "region", "address", "phone_display", "is_active")
    list_filter = ("is_active", "kind", "region")
    search_fields = ("short_name", "full_name", "oid", "address")
    readonly_fields = ("created_at", "updated_at")
    list_per_page = 50

    @admin.display(description=gettext_lazy("Телефон"), ordering="phone")
    def phone_display(self, obj):
        return obj.phone_display

    def get_readonly_fields(self, request, obj=None):
        # The OID is the key the import matches on: set once.
        return (*self.readonly_fields, "oid") if obj is not None else self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        # Attachments refer to organisations: one that closed is marked «не действует».
        return False


class StatusFilter(admin.SimpleListFilter):
    """Pending requests first: the list opens on what waits for a decision."""

    title = gettext_lazy("статус")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [*Attachment.Status.choices, ("all", gettext_lazy("Все"))]

    def choices(self, changelist):
        for value, label in self.lookup_choices:
            yield {
                "selected": (self.value() or Attachment.Status.PENDING) == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }

    def queryset(self, request, queryset):
        value = self.value() or Attachment.Status.PENDING
        if value == "all":
            return queryset
        if value not in Attachment.Status.values:
            return queryset.none()
        return queryset.filter(status=value)


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = (
        "requested_at",
        "patient",
        "organization",
        "status",
        "decided_at",
        "decided_by",
        "decide_link",
    )
    list_filter = (StatusFilter,)
    list_select_related = ("patient", "organization", "decided_by")
    search_fields = ("patient__last_name", "organization__short_name", "organization__oid")
    ordering = ("requested_at", "id")
    fields = (
        "patient",
        "organization",
        "status",
        "requested_at",
        "decided_at",
        "decided_by",
        "ended_at",
        "reason",
    )
    readonly_fields = fields

    @admin.display(description=gettext_lazy("Решение"))
    def decide_link(self, obj):
        if not obj.is_pending:
            return "—"
        url = reverse("admin:cabinet_organizations_attachment_decide", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Рассмотреть"))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        own = [
            path(
                "<int:object_id>/decide/",
                self.admin_site.admin_view(self.decide_view),
                name="cabinet_organizations_attachment_decide",
            )
        ]
        return own + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra = {"can_decide": request.user.has_perm(services.DECIDE_PERMISSION)}
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    def decide_view(self, request, object_id):
        if not request.user.has_perm(services.DECIDE_PERMISSION):
            raise PermissionDenied
        attachment = get_object_or_404(
            Attachment.objects.select_related("patient", "organization"), pk=object_id
        )
        form = DecisionForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            meta = RequestMeta.from_request(request)
            try:
                if form.cleaned_data["decision"] == DecisionForm.ACCEPT:
                    services.accept_attachment(
                        attachment_id=attachment.pk, operator=request.user, meta=meta
                    )
                    done = _("Прикрепление принято, пациент уведомлён.")
                else:
                    services.reject_attachment(
                        attachment_id=attachment.pk,
                        operator=request.user,
                        reason=form.cleaned_data["reason"],
                        meta=meta,
                    )
                    done = _("Заявление отклонено, пациент уведомлён.")
            except services.AttachmentRefused as refusal:
                form.add_error(None, refusal.message)
            else:
                self.message_user(request, done, messages.SUCCESS)
                return HttpResponseRedirect(
                    reverse("admin:cabinet_organizations_attachment_changelist")
                )
        policy = InsurancePolicy.objects.filter(patient=attachment.patient).first()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": attachment,
            "title": _("Заявление о прикреплении: %(patient)s")
            % {"patient": attachment.patient.full_name},
            "attachment": attachment,
            "policy": policy,
            "form": form,
        }
        status = 400 if form.errors else 200
        return TemplateResponse(request, "organizations/admin/decide.html", context, status=status)


@admin.register(InsurancePolicy)
class InsurancePolicyAdmin(admin.ModelAdmin):
    """Looked at, never edited: the patient keeps their policy in the cabinet."""

    list_display = ("patient", "enp_display", "insurer", "updated_at")
    list_select_related = ("patient",)
    search_fields = ("patient__last_name", "enp")
    fields = ("patient", "enp_display", "insurer", "created_at", "updated_at")
    readonly_fields = fields

    @admin.display(description=gettext_lazy("ЕНП"))
    def enp_display(self, obj):
        return obj.enp_display

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
