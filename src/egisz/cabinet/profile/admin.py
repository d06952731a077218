"""The operator console (/operator/): correction requests of name and date of birth.

A request is never edited field by field: the operator opens the attached document and
accepts or rejects the request (a rejection says why) through profile.services, so each
decision is applied, journalled and told to the patient.
"""

import logging

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from egisz.cabinet.documents import storage
from egisz.cabinet.documents.responses import attachment_response
from egisz.cabinet.documents.services import read_document
from egisz.cabinet.profile import services
from egisz.cabinet.profile.forms import MAX_COMMENT
from egisz.cabinet.profile.models import CorrectionRequest
from egisz.common.request_meta import RequestMeta

logger = logging.getLogger(__name__)


class StatusFilter(admin.SimpleListFilter):
    """Pending requests first: the list opens on what waits for a decision."""

    title = gettext_lazy("статус")
    parameter_name = "status"
    ALL = "all"

    def lookups(self, request, model_admin):
        return [*CorrectionRequest.Status.choices, (self.ALL, _("все"))]

    def choices(self, changelist):
        current = self.value() or CorrectionRequest.Status.PENDING
        for value, label in self.lookup_choices:
            yield {
                "selected": current == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }

    def queryset(self, request, queryset):
        value = self.value() or CorrectionRequest.Status.PENDING
        if value == self.ALL:
            return queryset
        if value not in CorrectionRequest.Status.values:
            return queryset.none()
        return queryset.filter(status=value)


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Причина отказа"),
        max_length=MAX_COMMENT,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text=gettext_lazy(
            "Пациент увидит её в уведомлении и в списке заявлений: напишите, что не так с "
            "документом и что приложить."
        ),
        error_messages={"required": gettext_lazy("Укажите причину отказа: её увидит пациент.")},
    )


class ApproveForm(forms.Form):
    """Nothing to fill in: the POST itself is the decision (CSRF-protected)."""


@admin.register(CorrectionRequest)
class CorrectionRequestAdmin(admin.ModelAdmin):
    list_display = ("__str__", "patient", "fields_changed", "status", "created_at", "decided_by")
    list_filter = (StatusFilter,)
    list_select_related = ("patient", "decided_by")
    search_fields = ("patient__last_name", "patient__first_name", "patient__snils")
    ordering = ("created_at",)
    readonly_fields = (
        "patient",
        "status",
        "changes_table",
        "comment",
        "document_link",
        "created_at",
        "decided_at",
        "decided_by",
        "reason",
    )
    fields = readonly_fields

    @admin.display(description=gettext_lazy("что исправить"))
    def fields_changed(self, obj):
        return ", ".join(label for label, _before, _after in obj.change_rows())

    @admin.display(description=gettext_lazy("изменения"))
    def changes_table(self, obj):
        rows = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", obj.change_rows())
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            _("Поле"),
            _("Было"),
            _("Стало"),
            rows,
        )

    @admin.display(description=gettext_lazy("документ"))
    def document_link(self, obj):
        document = obj.document
        url = reverse("admin:cabinet_profile_correctionrequest_document", args=[obj.pk])
        return format_html(
            '{} ({}, {} байт) <a class="button" href="{}">{}</a>',
            document.original_name,
            document.content_type,
            document.size,
            url,
            _("Скачать"),
        )

    def has_add_permission(self, request):
        return False  # requests come from patients only

    def has_delete_permission(self, request, obj=None):
        return False  # decisions are history

    def save_model(self, request, obj, form, change):
        """Nothing here is edited in place: decisions go through approve/reject."""

    def get_urls(self):
        def view(func):
            return self.admin_site.admin_view(func)

        own = [
            path(
                "<int:object_id>/approve/",
                view(self.approve_view),
                name="cabinet_profile_correctionrequest_approve",
            ),
            path(
                "<int:object_id>/reject/",
                view(self.reject_view),
                name="cabinet_profile_correctionrequest_reject",
            ),
            path(
                "<int:object_id>/document/",
                view(self.document_view),
                name="cabinet_profile_correctionrequest_document",
            ),
        ]
        return own + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        extra = {
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "show_delete": False,
            "can_decide": obj is not None and obj.is_pending and self._may_decide(request),
        }
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    def _may_decide(self, request) -> bool:
        return self.has_change_permission(request)

    def _pending_or_404(self, request, object_id) -> CorrectionRequest:
        if not self._may_decide(request):
            raise PermissionDenied
        return get_object_or_404(
            CorrectionRequest.objects.select_related("patient", "document"), pk=object_id
        )

    def _back_to(self, correction):
        return HttpResponseRedirect(
            reverse("admin:cabinet_profile_correctionrequest_change", args=[correction.pk])
        )

    def approve_view(self, request, object_id):
        correction = self._pending_or_404(request, object_id)
        form = ApproveForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                services.approve_correction(
                    correction=correction,
                    operator=request.user,
                    meta=RequestMeta.from_request(request),
                )
            except services.CorrectionError as refusal:
                self.message_user(request, refusal.message, messages.ERROR)
            else:
                self.message_user(
                    request,
                    _("Заявление принято, данные пациента исправлены: %(name)s.")
                    % {"name": correction.patient.full_name},
                    messages.SUCCESS,
                )
            return self._back_to(correction)
        return self._decision_page(
            request,
            correction,
            form,
            title=_("Принять заявление: %(name)s") % {"name": correction.patient.full_name},
            intro=_(
                "Сверьте документ с новыми значениями. После подтверждения они заменят "
                "данные пациента, а пациент получит уведомление."
            ),
            submit_label=_("Принять и исправить данные"),
        )

    def reject_view(self, request, object_id):
        correction = self._pending_or_404(request, object_id)
        form = RejectForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                services.reject_correction(
                    correction=correction,
                    operator=request.user,
                    reason=form.cleaned_data["reason"],
                    meta=RequestMeta.from_request(request),
                )
            except services.CorrectionError as refusal:
                self.message_user(request, refusal.message, messages.ERROR)
            else:
                self.message_user(request, _("Заявление отклонено."), messages.SUCCESS)
            return self._back_to(correction)
        return self._decision_page(
            request,
            correction,
            form,
            title=_("Отклонить заявление: %(name)s") % {"name": correction.patient.full_name},
            intro=_("Данные пациента не изменятся. Пациент получит уведомление с причиной."),
            submit_label=_("Отклонить"),
        )

    def _decision_page(self, request, correction, form, *, title, intro, submit_label):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": correction,
            "title": title,
            "intro": intro,
            "form": form,
            "rows": correction.change_rows(),
            "document_url": reverse(
                "admin:cabinet_profile_correctionrequest_document", args=[correction.pk]
            ),
            "submit_label": submit_label,
            "pending": correction.is_pending,
        }
        status = 400 if request.method == "POST" else 200
        return TemplateResponse(request, "profile/admin/decision.html", context, status=status)

    def document_view(self, request, object_id):
        """The attached document, for staff only (this view sits behind admin_view)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        correction = get_object_or_404(
            CorrectionRequest.objects.select_related("document", "document__patient"),
            pk=object_id,
        )
        document = correction.document
        try:
            content = read_document(
                document=document, reader=request.user, meta=RequestMeta.from_request(request)
            )
        except storage.BlobMissing as exc:
            logger.error("document %s: blob missing or altered", document.pk)
            raise Http404(_("Файл документа не найден.")) from exc
        return attachment_response(document, content)
