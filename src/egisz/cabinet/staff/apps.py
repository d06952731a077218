from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "egisz.cabinet.staff"
    label = "cabinet_staff"
    verbose_name = "Сотрудники оператора"

    def ready(self):
        from django.contrib.auth import signals

        from egisz.cabinet.staff import journal

        signals.user_logged_in.connect(journal.staff_logged_in, dispatch_uid="cabinet_staff_in")
        signals.user_login_failed.connect(
            journal.staff_login_failed, dispatch_uid="cabinet_staff_failed"
        )
        signals.user_logged_out.connect(journal.staff_logged_out, dispatch_uid="cabinet_staff_out")
