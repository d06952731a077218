"""Password rules beyond Django's validators (length, common list, similarity)."""

import re

from django.contrib.auth.password_validation import UserAttributeSimilarityValidator
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

SPECIAL = re.compile(r"[^A-Za-zА-Яа-яЁё0-9\s]")


class CharacterClassesValidator:
    """Upper- and lower-case letters, digits and special characters, as the seed asks."""

    def validate(self, password, user=None):
        missing = []
        if not any(ch.isupper() for ch in password):
            missing.append(_("заглавную букву"))
        if not any(ch.islower() for ch in password):
            missing.append(_("строчную букву"))
        if not any(ch.isdigit() for ch in password):
            missing.append(_("цифру"))
        if not SPECIAL.search(password):
            missing.append(_("специальный знак (например, ! ? % #)"))
        if missing:
            raise ValidationError(
                _("Пароль должен содержать %(what)s.") % {"what": ", ".join(missing)},
                code="password_classes",
            )

    def get_help_text(self):
        return _("Заглавные и строчные буквы, цифры и специальные знаки.")


class PersonalDataValidator:
    """Refuses a password containing the person's own numbers or birth date, which the
    similarity validator (a ratio over whole strings) misses when they are embedded."""

    def validate(self, password, user=None):
        if user is None:
            return
        lowered = password.lower()
        digits = "".join(ch for ch in password if ch.isdigit())
        pieces = [
            getattr(user, "snils", "") or "",
            getattr(user, "passport", "") or "",
            (getattr(user, "phone", "") or "")[-10:],
            getattr(user, "inn", "") or "",
        ]
        birth = getattr(user, "birth_date", None)
        if birth:
            pieces += [birth.strftime("%d%m%Y"), birth.strftime("%Y%m%d")]
        for piece in pieces:
            if len(piece) >= 6 and piece in digits:
                raise ValidationError(
                    _(
                        "Пароль не должен содержать ваши номера документов, телефон "
                        "или дату рождения."
                    ),
                    code="password_personal",
                )
        for name in (getattr(user, "last_name", ""), getattr(user, "first_name", "")):
            if name and len(name) >= 3 and name.lower() in lowered:
                raise ValidationError(
                    _("Пароль не должен содержать ваше имя или фамилию."), code="password_personal"
                )

    def get_help_text(self):
        return _("Не используйте в пароле имя, телефон, номера документов и дату рождения.")


class SimilarToPersonalDataValidator(UserAttributeSimilarityValidator):
    """Django's similarity check, worded so the field name reads right in Russian."""

    def get_error_message(self):
        return _("Пароль слишком похож на ваши данные (поле «%(verbose_name)s»).")
