"""The console login's stages after the password (egisz.common.flow.stages), registered by
dotted path in settings.OPERATOR_LOGIN_STAGES, and the plan they make for one member of
staff."""

from django.conf import settings

from egisz.cabinet.staff import pending, selectors, services
from egisz.common.codes.services import Check, CodeRefused, check_code, describe_refusal
from egisz.common.flow.stages import Stage, Verdict, registry
from egisz.common.request_meta import RequestMeta

# Wrong digits count toward the username lockout; an expired or burnt code checks none.
_GUESSES = (Check.WRONG, Check.EXHAUSTED)


class StaffSmsCodeStage(Stage):
    """A code by SMS to the phone the operator gave this member of staff."""

    name = "sms"
    amr = ("sms",)

    def available(self, user) -> bool:
        return bool(selectors.staff_phone(user))

    def begin(self, request, user, *, resend: bool = False) -> None:
        try:
            services.send_login_code(
                user=user,
                phone=selectors.staff_phone(user),
                meta=RequestMeta.from_request(request),
                resend=resend,
            )
        except CodeRefused as refusal:
            request.session[pending.WAIT_KEY] = refusal.retry_after

    def check(self, user, answer: str) -> Verdict:
        result = check_code(
            purpose=services.LOGIN_CODE_PURPOSE, target=selectors.staff_phone(user), code=answer
        )
        if result.ok:
            return Verdict(True)
        return Verdict(
            False,
            describe_refusal(result),
            counts=result.status in _GUESSES,
            reason=result.status.value,
        )


def stages() -> dict[str, Stage]:
    return registry(settings.OPERATOR_LOGIN_STAGES)


def plan_for(user) -> list[str]:
    """Every registered stage available for ``user``, in the settings' order."""
    return [stage.name for stage in stages().values() if stage.available(user)]
