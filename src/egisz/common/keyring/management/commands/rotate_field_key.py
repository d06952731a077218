"""`egisz idp rotate-field-key` / `egisz cabinet rotate-field-key`: re-encrypt every value the
site keeps encrypted (egisz.common.keyring.registry) with the current key of
EGISZ_FIELD_ENCRYPTION_KEYS, so an older key can then leave the ring. Resumable: an
interrupted run is finished by running it again. ``--check`` only counts the values under
each key.

Exit code: 0 when everything is under the current key, 1 otherwise (values that could not
be re-encrypted; with --check, values still under another key).
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from egisz.common.crypto import current_key_id, key_ring
from egisz.common.keyring.selectors import field_key_usage
from egisz.common.keyring.services import rotate_field_key


class Command(BaseCommand):
    help = (
        "Перешифровать текущим ключом из EGISZ_FIELD_ENCRYPTION_KEYS всё, что сайт хранит "
        "зашифрованным; прерванный запуск продолжается повторным."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="ничего не менять: показать, сколько значений зашифровано каким ключом",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=100,
            help="строк в одной транзакции (по умолчанию 100)",
        )

    def handle(self, *args, check=False, batch_size=100, **options):
        if batch_size < 1:
            raise CommandError(_("--batch-size должен быть не меньше 1."))
        ring = key_ring()
        self.stdout.write(
            _("Текущий ключ: %(current)s; в кольце: %(ring)s.")
            % {"current": ring.current_id, "ring": ", ".join(ring.fernets)}
        )
        if check:
            self._check()
            return
        try:
            report = rotate_field_key(batch_size=batch_size, progress=self._progress)
        except KeyboardInterrupt:
            self.stdout.write("")
            raise CommandError(
                _("Прервано. Запустите команду снова: она продолжит с того места, где прервалась.")
            ) from None
        for failure in report.failures:
            self.stderr.write(failure)
        self.stdout.write(
            _("Перешифровано значений: %(count)d (ключ %(key)s).")
            % {"count": report.total, "key": report.key_id}
        )
        if report.failures:
            raise CommandError(
                _("Не удалось перешифровать значений: %(count)d (см. выше).")
                % {"count": len(report.failures)}
            )
        self.stdout.write(self.style.SUCCESS(_("Все значения зашифрованы текущим ключом.")))

    def _progress(self, store, done, total):
        line = f"{store.label}: {done}/{total}"
        if self.stdout.isatty():
            # One line redrawn in place while the store is gone through.
            self.stdout.write("\r" + line, ending="\n" if done >= total else "")
            self.stdout.flush()
        elif done >= total:
            self.stdout.write(line)

    def _check(self):
        current = current_key_id()
        ring = key_ring().fernets
        behind = unreadable = 0
        for usage in field_key_usage():
            if not usage.key_ids:
                self.stdout.write(_("%(store)s: нет значений") % {"store": usage.label})
                continue
            parts = []
            for kid, count in sorted(usage.key_ids.items(), key=lambda item: str(item[0])):
                if kid is None:
                    parts.append(_("нет файла — %(count)d") % {"count": count})
                    unreadable += count
                    continue
                parts.append(f"{kid} — {count}")
                if kid != current:
                    behind += count
                if kid not in ring:
                    unreadable += count
            self.stdout.write(f"{usage.label}: {', '.join(parts)}")
        if unreadable:
            self.stderr.write(
                _("Не расшифровать (ключа нет в кольце или нет файла): %(count)d.")
                % {"count": unreadable}
            )
        if behind:
            raise CommandError(
                _("Не под текущим ключом: %(count)d значений; запустите rotate-field-key.")
                % {"count": behind}
            )
        done = _("Все значения зашифрованы текущим ключом %(current)s.") % {"current": current}
        others = [kid for kid in ring if kid != current]
        if others:
            done += " " + _("Ключи %(others)s больше не нужны: их можно убрать из кольца.") % {
                "others": ", ".join(others)
            }
        self.stdout.write(self.style.SUCCESS(done))
