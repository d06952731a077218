from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from egisz.common.audit import vocabulary
from egisz.common.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "action_label", "result", "actor_id", "subject_id", "ip")
    list_filter = ("action", "result")
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
