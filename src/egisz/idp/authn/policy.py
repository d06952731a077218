"""The second-factor policy: which stages follow the password, and the ways offered
instead (the plan kept in the session names them; views run them).

- Without a strong authenticator (an authenticator app today; a passkey or a hardware
  token once their stages exist), the second step is a code by SMS.
- With one enrolled, the second step must use it. The SIM then proves nothing alone:
  whoever cannot use the app falls back to a recovery code *and* an SMS code, and that
  fallback is journalled and the owner told by e-mail (services.finish_login).

A strong stage is any registered stage with ``strong = True`` that is available for the
account, in the order of settings.AUTHN_STAGES.
"""

from django.conf import settings

from egisz.common.flow.stages import registry

SMS = "sms"
RECOVERY = "recovery"
# With a strong authenticator enrolled: the way in without it.
FALLBACK = [RECOVERY, SMS]


def stages():
    return registry(settings.AUTHN_STAGES)


def second_step(account) -> tuple[list[str], dict[str, list[str]]]:
    """(the stages to pass after the password, {way offered instead: its stages})."""
    strong = [
        s.name for s in stages().values() if getattr(s, "strong", False) and s.available(account)
    ]
    if not strong:
        return [SMS], {}
    ways = {name: [name] for name in strong}
    ways[RECOVERY] = FALLBACK
    # «Получить код по SMS» leads to the same fallback: SMS alone proves nothing here.
    ways[SMS] = FALLBACK
    return [strong[0]], ways
