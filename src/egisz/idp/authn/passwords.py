"""Setting a new password: the form shared by every flow and the service that records it."""

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from egisz.common.audit.services import record_event
from egisz.common.request_meta import RequestMeta
from egisz.idp.accounts.notifications import notify_owner
from egisz.idp.audit_actions import IdpAction
from egisz.idp.authn import lockout, sessions
from egisz.idp.oidc import signout
from egisz.idp.oidc.models import SignOutReason


class SetPasswordForm(forms.Form):
    """A new password, twice, checked against the whole policy for this ``account``."""

    new_password1 = forms.CharField(
        label=gettext_lazy("Новый пароль"),
        max_length=128,
        strip=False,
        help_text=gettext_lazy(
            "Не короче 8 символов: заглавные и строчные буквы, цифры и специальные знаки."
        ),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password2 = forms.CharField(
        label=gettext_lazy("Повторите новый пароль"),
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, account, *args, **kwargs):
        self.account = account
        super().__init__(*args, **kwargs)

    def clean_new_password1(self):
        password = self.cleaned_data["new_password1"]
        password_validation.validate_password(password, self.account)
        return password

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("new_password1"), cleaned.get("new_password2")
        if first and second and first != second:
            self.add_error("new_password2", _("Пароли не совпадают."))
        return cleaned


class ChangePasswordForm(SetPasswordForm):
    """Password change in settings: the old password first."""

    old_password = forms.CharField(
        label=gettext_lazy("Текущий пароль"),
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    field_order = ["old_password", "new_password1", "new_password2"]

    def clean_old_password(self):
        old = self.cleaned_data["old_password"]
        if not self.account.check_password(old):
            raise forms.ValidationError(_("Текущий пароль введён неверно."))
        return old


@transaction.atomic
def set_new_password(
    *,
    account,
    new_password: str,
    meta: RequestMeta,
    action: str,
    keep_session_key: str | None,
    reason: SignOutReason = SignOutReason.PASSWORD_CHANGED,
    lift_locks: bool = True,
) -> None:
    """Store the new hash, lift the login locks (unless ``lift_locks`` is False: a
    recovery), end every other session, sign the account
    out of every service (whoever knew the old password may hold their tokens), tell the
    owner, journal it."""
    account.set_password(new_password)
    account.must_change_password = False
    account.save(update_fields=["password", "must_change_password"])
    if lift_locks:
        lockout.CITIZEN.clear(lockout.account_keys(account))
    ended = sessions.end_all_sessions(account, except_key=keep_session_key)
    record_event(action=action, meta=meta, subject=account, sessions_ended=ended)
    signout.account_signed_out(account, reason=reason, meta=meta, actor=account)
    text = _(
        "Госуслуги: пароль вашей учётной записи изменён. Если это сделали не вы, "
        "срочно восстановите доступ и обратитесь в службу поддержки: %(contact)s."
    ) % {"contact": settings.SUPPORT_CONTACT}
    notify_owner(account, subject=_("Пароль изменён"), text=text)


def change_temporary_password(*, account, new_password: str, request) -> None:
    set_new_password(
        account=account,
        new_password=new_password,
        meta=RequestMeta.from_request(request),
        action=IdpAction.PASSWORD_TEMPORARY_REPLACED,
        keep_session_key=request.session.session_key,
    )
    sessions.keep_logged_in(request, account)
