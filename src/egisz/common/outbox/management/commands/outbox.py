"""`egisz outbox`: the demo outbox in a terminal (what /dev/outbox shows)."""

import unicodedata

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from egisz.common.outbox.models import Message
from egisz.common.outbox.selectors import DEMO_PAGE_SIZE, latest_messages


class Command(BaseCommand):
    help = "Print the latest SMS and e-mail of the outbox, newest first (demo mode only)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--limit",
            type=int,
            default=DEMO_PAGE_SIZE,
            help=f"How many messages to print (default {DEMO_PAGE_SIZE}).",
        )

    def handle(self, *args, limit: int, **options):
        if not settings.DEMO:
            raise CommandError(
                _(
                    "Команда outbox доступна только в демонстрационном режиме (EGISZ_DEMO=1): "
                    "в рабочем режиме тексты сообщений с кодами не показываются."
                )
            )
        if limit < 1:
            raise CommandError(_("--limit должен быть положительным числом."))
        messages = list(latest_messages(limit=limit))
        if not messages:
            self.stdout.write(_("Сообщений пока нет."))
            return
        self.stdout.write("\n\n".join(format_message(message) for message in messages))


def format_message(message: Message) -> str:
    sent = timezone.localtime(message.created_at).strftime("%d.%m.%Y %H:%M:%S %Z")
    head = "  ".join(
        [sent, message.get_channel_display(), message.recipient, message.get_status_display()]
    )
    lines = [terminal_safe(head)]
    if message.subject:
        lines.append("    " + terminal_safe(_("Тема: %(subject)s") % {"subject": message.subject}))
    lines.extend("    " + terminal_safe(line) for line in message.body.splitlines() or [""])
    return "\n".join(lines)


def terminal_safe(text: str) -> str:
    """Shows control characters as escapes, so a message cannot drive the terminal."""
    return "".join(
        char.encode("unicode_escape").decode("ascii")
        if unicodedata.category(char) == "Cc" and char != "\t"
        else char
        for char in str(text)
    )
