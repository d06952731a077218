"""Patients in the operator console (/operator/): read-only. A patient's data change only
through the patient's own confirmed actions or a correction request, never by hand here."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from egisz.cabinet.patients.models import Address, Patient
from egisz.cabinet.portal.limited import level_label


class AddressInline(admin.TabularInline):
    model = Address
    extra = 0
    fields = ("kind", "postcode", "region", "city", "street", "house", "flat", "updated_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class LevelFilter(admin.SimpleListFilter):
    """The account levels the provider reported, by their Russian names (the stored value
    is the provider's `acr`, e.g. urn:egisz:loa:confirmed)."""

    title = _("уровень учётной записи")
    parameter_name = "level"

    def lookups(self, request, model_admin):
        levels = model_admin.get_queryset(request).order_by("level").values_list("level", flat=True)
        return [(level, level_label(level)) for level in levels.distinct()]

    def queryset(self, request, queryset):
        return queryset if self.value() is None else queryset.filter(level=self.value())


@admin.register(Patient)
class PatientAdmin(admin.ModelAdmin):
    list_display = ("full_name", "birth_date", "snils_display", "level_name", "created_at")
    search_fields = ("last_name", "first_name", "middle_name", "snils")
    list_filter = (LevelFilter,)
    date_hierarchy = "created_at"
    inlines = [AddressInline]
    fields = (
        "last_name",
        "first_name",
        "middle_name",
        "birth_date",
        "snils",
        "inn",
        "phone",
        "email",
        "workplace",
        "level_name",
        "issuer",
        "subject",
        "created_at",
        "last_login_at",
        "profile_completed_at",
    )
    readonly_fields = fields

    @admin.display(description=_("ФИО"), ordering="last_name")
    def full_name(self, obj):
        return obj.full_name

    @admin.display(description=_("СНИЛС"), ordering="snils")
    def snils_display(self, obj):
        return obj.snils_display

    @admin.display(description=Patient._meta.get_field("level").verbose_name, ordering="level")
    def level_name(self, obj):
        return level_label(obj.level) if obj.level else "—"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
