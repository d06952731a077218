"""The cabinet's audit actions: what its journal stores and, in the citizen's words, what
each one means (the labels are what «Журнал активности» shows).

Every ``record_event`` of the cabinet names one of these (``AUDIT_VOCABULARIES`` in the
cabinet's settings registers the enum; ``egisz.common.audit.vocabulary`` explains the
scheme).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CabinetAction(models.TextChoices):
    # Login and the session
    LOGIN = "cabinet.login", _("Вход в кабинет")
    PATIENT_CREATED = "cabinet.patient_created", _("Первый вход в кабинет")
    LOGIN_FAILED = "cabinet.login_failed", _("Неудачная попытка входа в кабинет")
    LOGIN_REFUSED = (
        "cabinet.login_consent_refused",
        _("Вход отменён: не дано согласие на передачу данных"),
    )
    LOGIN_LIMITED = "cabinet.login_limited", _("Вход с учётной записью недостаточного уровня")
    LOGOUT = "cabinet.logout", _("Выход из кабинета")
    SESSION_EXPIRED = (
        "cabinet.session_expired",
        _("Сеанс завершён: истекло время бездействия или сеанса"),
    )
    GRANT_REVOKED = (
        "cabinet.session_ended_grant_revoked",
        _("Сеанс завершён: доступ к данным отозван на Госуслугах"),
    )
    BACKCHANNEL_LOGOUT = (
        "cabinet.backchannel_logout",
        _("Сеанс завершён по сообщению Госуслуг: выход, смена пароля или отзыв доступа"),
    )
    BACKCHANNEL_LOGOUT_REFUSED = (
        "cabinet.backchannel_logout_refused",
        _("Отклонено уведомление о выходе"),
    )
    # Contacts and address
    PHONE_CHANGE_CODE_SENT = "cabinet.phone_change_code_sent", _("Запрошен код для смены телефона")
    PHONE_CHANGED = "cabinet.phone_changed", _("Изменён мобильный телефон")
    EMAIL_CHANGE_CODE_SENT = (
        "cabinet.email_change_code_sent",
        _("Запрошен код для смены электронной почты"),
    )
    EMAIL_CHANGED = "cabinet.email_changed", _("Изменена электронная почта")
    ADDRESS_CHANGE_CODE_SENT = (
        "cabinet.address_change_code_sent",
        _("Запрошен код для изменения адреса"),
    )
    ADDRESS_CHANGED = "cabinet.address_changed", _("Изменён адрес")
    CHANGE_CODE_REJECTED = "cabinet.change_code_rejected", _("Код подтверждения не принят")
    NOTIFICATION_PREFERENCES_CHANGED = (
        "cabinet.notification_preferences_changed",
        _("Изменены настройки уведомлений"),
    )
    # Profile and corrections
    PROFILE_SAVED = "cabinet.profile_saved", _("Сохранены данные профиля")
    PROFILE_COMPLETED = "cabinet.profile_completed", _("Профиль заполнен")
    CORRECTION_FILED = (
        "cabinet.correction_filed",
        _("Подано заявление на исправление ФИО или даты рождения"),
    )
    CORRECTION_APPROVED = (
        "cabinet.correction_approved",
        _("Заявление на исправление данных принято"),
    )
    CORRECTION_REJECTED = (
        "cabinet.correction_rejected",
        _("Заявление на исправление данных отклонено"),
    )
    # Documents
    DOCUMENT_UPLOADED = "cabinet.document_uploaded", _("Загружен документ")
    DOCUMENT_INFECTED = "cabinet.document_infected", _("Отклонён файл: найден вирус")
    DOCUMENT_DOWNLOADED = "cabinet.document_downloaded", _("Скачан документ")
    DOCUMENT_VIEWED_BY_STAFF = (
        "cabinet.document_viewed_by_staff",
        _("Оператор открыл ваш документ"),
    )
    DOCUMENT_ORPHANS_REMOVED = "cabinet.document_orphans_removed", _("Удалены файлы без документов")
    # Policy and attachment
    POLICY_SAVED = "cabinet.policy_saved", _("Сохранены данные полиса ОМС")
    ATTACHMENT_REQUESTED = "cabinet.attachment_requested", _("Подано заявление о прикреплении")
    ATTACHMENT_WITHDRAWN = "cabinet.attachment_withdrawn", _("Отозвано заявление о прикреплении")
    ATTACHMENT_ACCEPTED = (
        "cabinet.attachment_accepted",
        _("Прикрепление принято медицинской организацией"),
    )
    ATTACHMENT_REJECTED = (
        "cabinet.attachment_rejected",
        _("Прикрепление отклонено медицинской организацией"),
    )
    ATTACHMENT_ENDED = "cabinet.attachment_ended", _("Прежнее прикрепление прекращено")
    ORGANIZATIONS_IMPORTED = (
        "cabinet.organizations_imported",
        _("Загружен справочник медицинских организаций"),
    )
    # Operators
    STAFF_LOGIN = "cabinet.staff_login", _("Вход оператора в консоль")
    STAFF_LOGIN_FAILED = "cabinet.staff_login_failed", _("Неудачная попытка входа оператора")
    STAFF_LOGIN_LOCKED = "cabinet.staff_login_locked", _("Вход оператора заблокирован")
    STAFF_LOGIN_CODE_SENT = "cabinet.staff_login_code_sent", _("Оператору отправлен код входа")
    STAFF_LOGIN_CODE_NOT_SENT = (
        "cabinet.staff_login_code_not_sent",
        _("Код входа оператору не отправлен"),
    )
    STAFF_LOGIN_CODE_REFUSED = (
        "cabinet.staff_login_code_refused",
        _("Код входа оператора не принят"),
    )
    STAFF_LOGOUT = "cabinet.staff_logout", _("Выход оператора из консоли")
    STAFF_PHONE_SET = "cabinet.staff_phone_set", _("Задан телефон оператора")
    STAFF_CREATED_BY_DEMO_DATA = (
        "cabinet.staff_created_by_demo_data",
        _("Оператор создан демонстрационными данными"),
    )
