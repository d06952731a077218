"""The IdP's audit actions: what its journal stores and, in Russian, what each one means.

Every ``record_event`` of the IdP names one of these (``AUDIT_VOCABULARIES`` in the IdP's
settings registers the enum; ``egisz.common.audit.vocabulary`` explains the scheme).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class IdpAction(models.TextChoices):
    # Login and sessions
    LOGIN_SUCCESS = "login.success", _("Вход в учётную запись")
    LOGIN_FAILED = "login.failed", _("Неудачная попытка входа")
    LOGIN_NEW_BROWSER = "login.new_browser", _("Вход с нового браузера")
    LOGIN_APP_FALLBACK = (
        "login.app_fallback",
        _("Вход без приложения-аутентификатора: резервный код и код из SMS"),
    )
    ACCOUNT_LOCKED = "account.locked", _("Вход заблокирован после неудачных попыток")
    SESSION_EXPIRED = "session.expired", _("Сеанс завершён по истечении времени")
    SESSION_ENDED = "session.ended", _("Сеанс завершён владельцем")
    SESSION_ENDED_OTHERS = "session.ended_others", _("Завершены другие сеансы")
    SESSION_ENDED_ALL = "session.ended_all", _("Все сеансы завершены оператором")
    # Passwords
    PASSWORD_CHANGED = "password.changed", _("Пароль изменён")
    PASSWORD_TEMPORARY_REPLACED = "password.temporary_replaced", _("Временный пароль заменён")
    PASSWORD_RECOVERY_REQUESTED = (
        "password.recovery_requested",
        _("Запрошено восстановление пароля"),
    )
    PASSWORD_RECOVERY_CODE_CONFIRMED = (
        "password.recovery_code_confirmed",
        _("Подтверждён код восстановления пароля"),
    )
    PASSWORD_RECOVERY_APP_CONFIRMED = (
        "password.recovery_app_confirmed",
        _("При восстановлении пароля подтверждён код приложения или резервный код"),
    )
    PASSWORD_RECOVERY_APP_REFUSED = (
        "password.recovery_app_refused",
        _("При восстановлении пароля не принят код приложения или резервный код"),
    )
    PASSWORD_RECOVERED = "password.recovered", _("Пароль восстановлен")
    # Second factor
    TOTP_ENROLMENT_STARTED = (
        "mfa.totp_enrolment_started",
        _("Начато подключение приложения-аутентификатора"),
    )
    TOTP_ENABLED = "mfa.totp_enabled", _("Подключено приложение-аутентификатор")
    TOTP_DISABLED = "mfa.totp_disabled", _("Отключено приложение-аутентификатор")
    RECOVERY_CODES_ISSUED = "mfa.recovery_codes_issued", _("Выпущены резервные коды")
    RECOVERY_CODE_USED = "mfa.recovery_code_used", _("Использован резервный код")
    # Registration and the account
    REGISTRATION_STARTED = "registration.started", _("Начата регистрация")
    REGISTRATION_PHONE_IN_USE = (
        "registration.phone_in_use",
        _("Регистрация на уже занятый номер телефона"),
    )
    REGISTRATION_CODE_RESENT = "registration.code_resent", _("Повторно отправлен код регистрации")
    ACCOUNT_REGISTERED = "account.registered", _("Учётная запись зарегистрирована")
    ACCOUNT_CREATED_BY_OPERATOR = (
        "account.created_by_operator",
        _("Учётная запись создана оператором"),
    )
    ACCOUNT_CREATED_BY_DEMO_DATA = (
        "account.created_by_demo_data",
        _("Учётная запись создана демонстрационными данными"),
    )
    ACCOUNT_IDENTITY_CONFIRMED = (
        "account.identity_confirmed",
        _("Личность подтверждена в центре обслуживания"),
    )
    ACCOUNT_UNLOCKED = "account.unlocked", _("Блокировка входа снята оператором")
    ACCOUNT_ROLES_CHANGED = "account.roles_changed", _("Изменены роли учётной записи")
    ACCOUNT_DATA_CORRECTED = "account.data_corrected", _("Исправлены личные данные")
    EMAIL_CONFIRMATION_SENT = (
        "email.confirmation_sent",
        _("Отправлено письмо для подтверждения почты"),
    )
    EMAIL_CONFIRMED = "email.confirmed", _("Электронная почта подтверждена")
    # Registry check
    REGISTRY_VERIFIED = "registry.verified", _("Данные подтверждены реестрами")
    REGISTRY_REJECTED = "registry.rejected", _("Данные не подтверждены реестрами")
    REGISTRY_UNAVAILABLE = "registry.unavailable", _("Реестры недоступны, проверка отложена")
    REGISTRY_GAVE_UP = "registry.gave_up", _("Проверка в реестрах прекращена")
    # Services (OpenID Connect)
    CONSENT_GIVEN = "oidc.consent_given", _("Дано согласие на передачу данных сервису")
    CONSENT_REFUSED = "oidc.consent_refused", _("Отказ в передаче данных сервису")
    CONSENT_WITHDRAWN = "oidc.consent_withdrawn", _("Отозван доступ сервиса к данным")
    CODE_REPLAYED = "oidc.code_replayed", _("Повторное использование кода авторизации")
    TOKENS_REVOKED = "oidc.tokens_revoked", _("Токены сервисов отозваны")
    SESSION_SIGNED_OUT = "oidc.session_signed_out", _("Выход из сервисов сеанса")
    LOGOUT = "oidc.logout", _("Выход по запросу сервиса")
    BACKCHANNEL_LOGOUT_FAILED = (
        "oidc.backchannel_logout_failed",
        _("Сервис не принял уведомление о выходе"),
    )
    CLIENT_CREATED = "oidc.client_created", _("Зарегистрирован сервис")
    CLIENT_CHANGED = "oidc.client_changed", _("Изменены настройки сервиса")
    CLIENT_DELETED = "oidc.client_deleted", _("Удалён сервис")
    CLIENT_KEYS_SET = "oidc.client_keys_set", _("Заданы ключи сервиса")
    KEYS_ROTATED = "oidc.keys_rotated", _("Выпущены новые ключи подписи")
