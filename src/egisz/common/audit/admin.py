from django.contrib import admin

from egisz.common.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "action", "result", "actor_id", "subject_id", "ip")
    list_filter = ("action", "result")
    search_fields = ("actor_id", "subject_id", "ip")
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
