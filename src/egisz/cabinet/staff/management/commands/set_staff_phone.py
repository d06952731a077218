"""`egisz cabinet set-staff-phone USERNAME PHONE`: the mobile phone a member of the
operator's staff receives the console login's SMS codes on (any Russian mobile format,
stored in E.164). Without one the console refuses their login. The change is journalled
(cabinet.staff_phone_set)."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from egisz.cabinet.staff.services import set_staff_phone
from egisz.common.identifiers import format_phone


class Command(BaseCommand):
    help = "Указать мобильный телефон сотрудника оператора для кодов входа в консоль."

    def add_arguments(self, parser):
        parser.add_argument("username", help="логин сотрудника в консоли оператора")
        parser.add_argument("phone", help="мобильный телефон, например +7 916 123-45-67")

    def handle(self, *args, username, phone, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(_("Сотрудник «%(username)s» не найден.") % {"username": username})
        try:
            profile = set_staff_phone(user=user, phone=phone)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(
            _("Телефон сотрудника «%(username)s» для кодов входа: %(phone)s.")
            % {"username": user.get_username(), "phone": format_phone(profile.phone)}
        )
