"""Patients in the operator console (/operator/): read-only. A patient's data change only
through the patient's own confirmed actions or a correction request, never by hand here."""

from django.contrib import admin

from egisz.cabinet.patients.models import Address, Patient


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


@admin.register(Patient)
class PatientAdmin(admin.ModelAdmin):
    list_display = ("full_name", "birth_date", "snils_display", "level", "created_at")
    search_fields = ("last_name", "first_name", "middle_name", "snils")
    list_filter = ("level",)
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
        "level",
        "issuer",
        "subject",
        "created_at",
        "last_login_at",
        "profile_completed_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
