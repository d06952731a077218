from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from egisz.common.audit import vocabulary
from egisz.common.audit.models import AuditEvent


class ActionFilter(admin.SimpleListFilter):
    """The site's actions in words, rather than the stored codes."""

    title = _("действие")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        return vocabulary.choices()

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "action_label", "result", "actor_id", "subject_id", "ip")
    list_filter = (ActionFilter, "result")
    search_fields = ("actor_id", "subject_id", "ip")
    date_hierarchy = "created_at"

    @admin.display(description=_("действие"), ordering="action")
    def action_label(self, event):
        """The action in words (its code for a row no vocabulary names)."""
        return vocabulary.label(event.action, event.action)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
