from django.urls import path

from egisz.cabinet.organizations import views

app_name = "organizations"

urlpatterns = [
    path("organizations/", views.directory, name="directory"),
    path("organizations/<int:pk>/", views.organization_detail, name="detail"),
    path("organizations/oid/<str:oid>/", views.organization_by_oid, name="by_oid"),
    path("organizations/<int:pk>/attach/", views.attach, name="attach"),
    path("policy/", views.policy, name="policy"),
    path("policy/attachments/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
]
