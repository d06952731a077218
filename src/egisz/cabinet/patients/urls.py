from django.urls import path

from egisz.cabinet.patients import views

app_name = "patients"

urlpatterns = [
    path("personal/", views.personal_data, name="personal_data"),
    path("personal/activity/", views.activity, name="activity"),
    path("personal/phone/", views.edit_phone, name="edit_phone"),
    path("personal/phone/confirm/", views.confirm_phone, name="confirm_phone"),
    path("personal/phone/resend/", views.resend_phone, name="resend_phone"),
    path("personal/email/", views.edit_email, name="edit_email"),
    path("personal/email/confirm/", views.confirm_email, name="confirm_email"),
    path("personal/email/resend/", views.resend_email, name="resend_email"),
    path("personal/address/<str:kind>/", views.edit_address, name="edit_address"),
    path("personal/address/<str:kind>/confirm/", views.confirm_address, name="confirm_address"),
    path("personal/address/<str:kind>/resend/", views.resend_address, name="resend_address"),
]
