"""The authorization endpoint and the «Привязанные сервисы» settings page
(url names "oidc:<name>")."""

from django.urls import path

from egisz.idp.oidc import authorize, linked_services

urlpatterns = [
    path("oidc/authorize/", authorize.authorize, name="authorize"),
    path(
        "settings/linked-services/",
        linked_services.linked_services_view,
        name="linked_services",
    ),
    path(
        "settings/linked-services/<int:pk>/withdraw/",
        linked_services.withdraw_view,
        name="linked_service_withdraw",
    ),
]
