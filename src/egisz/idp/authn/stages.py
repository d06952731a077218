"""The citizen login's second-step stages (egisz.common.flow.stages), registered by dotted
path in settings.AUTHN_STAGES. The password stage is the login page itself
(services.check_password_stage); the policy (policy.py) picks what follows it."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from egisz.common.codes import services as codes
from egisz.common.flow.stages import Stage, Verdict
from egisz.idp.authn import totp
from egisz.idp.authn.models import Method

LOGIN_CODE_PURPOSE = "login"
LOGIN_SMS_TEXT = gettext_lazy("Код для входа на Госуслуги: {code}. Никому не сообщайте его.")
CODE_WAIT_KEY = "egisz_code_wait"


class SmsCodeStage(Stage):
    """A code sent by SMS to the account's phone."""

    name = "sms"
    amr = ("sms",)
    method = Method.PASSWORD_SMS
    strong = False

    def begin(self, request, account) -> None:
        try:
            send_login_code(account=account)
        except codes.CodeRefused as refusal:
            request.session[CODE_WAIT_KEY] = refusal.retry_after

    def check(self, account, answer: str) -> Verdict:
        result = codes.check_code(purpose=LOGIN_CODE_PURPOSE, target=account.phone, code=answer)
        if result.ok:
            return Verdict(True)
        return Verdict(False, codes.describe_refusal(result))


class TotpStage(Stage):
    """The current code of an enrolled authenticator app (never the same code twice)."""

    name = "totp"
    amr = ("otp",)
    method = Method.PASSWORD_TOTP
    strong = True

    def available(self, account) -> bool:
        return totp.active_device(account) is not None

    def check(self, account, answer: str) -> Verdict:
        device = totp.active_device(account)
        if device is not None and totp.verify_code(device, answer):
            return Verdict(True)
        return Verdict(
            False, _("Неверный код из приложения. Проверьте, что время на телефоне точное.")
        )


class RecoveryCodeStage(Stage):
    """One of the recovery codes shown when the app was enrolled; each works once."""

    name = "recovery"
    amr = ()
    method = Method.PASSWORD_RECOVERY
    strong = False

    def available(self, account) -> bool:
        return totp.active_device(account) is not None

    def check(self, account, answer: str) -> Verdict:
        if totp.use_recovery_code(account, answer):
            return Verdict(True)
        return Verdict(False, _("Резервный код неверен или уже использован."))


def send_login_code(*, account) -> None:
    """Send the SMS code of the second step. Raises codes.CodeRefused when throttled."""
    codes.send_code(
        purpose=LOGIN_CODE_PURPOSE, target=account.phone, channel="sms", text=LOGIN_SMS_TEXT
    )
