"""`egisz cabinet import-organizations FILE`: load or update the directory of medical
organisations from a CSV or JSON file (see egisz.cabinet.organizations.importfile for the
format). Idempotent by OID; every rejected row is listed with its number and the reason.

Exit code: 0 when the file was read (even with rejected rows; --strict makes them an
error), 1 when the file cannot be read at all.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from egisz.cabinet.organizations.importfile import ImportFileError, read_organizations_file
from egisz.cabinet.organizations.services import import_organizations


class Command(BaseCommand):
    help = "Загрузить или обновить справочник медицинских организаций из файла CSV или JSON."

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV (UTF-8, «;» или «,») или JSON (список объектов)")
        parser.add_argument(
            "--strict",
            action="store_true",
            help="завершиться с кодом 1, если хотя бы одна строка отклонена",
        )

    def handle(self, *args, file, strict=False, **options):
        try:
            rows = read_organizations_file(file)
        except ImportFileError as error:
            raise CommandError(error.message) from error
        report = import_organizations(rows, source=str(file))
        rejected = (
            _("Запись %(number)d отклонена: %(reason)s")
            if rows.format == "json"
            else _("Строка %(number)d отклонена: %(reason)s")
        )
        for rejection in report.rejected:
            self.stderr.write(rejected % {"number": rejection.number, "reason": rejection.reason})
        self.stdout.write(report.summary())
        if not report.changed and report.accepted:
            self.stdout.write(
                _("Изменений нет: все организации из файла уже в справочнике в таком виде.")
            )
        elif not report.accepted:
            self.stdout.write(_("Ни одна строка не загружена."))
        else:
            self.stdout.write(self.style.SUCCESS(_("Справочник обновлён.")))
        if strict and report.rejected:
            raise CommandError(_("Есть отклонённые строки (--strict)."))
