"""Django's own groups and users in the operator consoles, with Russian permission names and
deletion pages (egisz.common.ui.console). Users are registered only where the site uses
Django's user model (the cabinet's staff); the IdP's accounts have their own admin."""

from django.contrib import admin
from django.contrib.auth import admin as auth_admin
from django.contrib.auth.models import Group, User

from egisz.common.ui.console import RussianAuthAdminMixin


class GroupAdmin(RussianAuthAdminMixin, auth_admin.GroupAdmin):
    pass


class UserAdmin(RussianAuthAdminMixin, auth_admin.UserAdmin):
    pass


for model, model_admin in ((Group, GroupAdmin), (User, UserAdmin)):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
        admin.site.register(model, model_admin)
