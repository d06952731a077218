from django.contrib import admin

from egisz.cabinet.staff import services
from egisz.cabinet.staff.forms import StaffProfileForm
from egisz.cabinet.staff.models import StaffProfile
from egisz.common.identifiers import format_phone
from egisz.common.request_meta import RequestMeta


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    """The phones the console's login codes go to. Changing one changes a second factor, so
    it goes through the service (and into the audit journal)."""

    form = StaffProfileForm
    list_display = ["user", "shown_phone", "updated_at"]
    search_fields = ["user__username", "user__last_name", "phone"]
    list_select_related = ["user"]

    @admin.display(description=StaffProfile._meta.get_field("phone").verbose_name)
    def shown_phone(self, obj):
        return format_phone(obj.phone) or "—"

    def get_readonly_fields(self, request, obj=None):
        return ["user"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        profile = services.set_staff_phone(
            user=obj.user,
            phone=obj.phone,
            meta=RequestMeta.from_request(request),
            actor=request.user,
        )
        obj.pk = profile.pk
        obj._state.adding = False
