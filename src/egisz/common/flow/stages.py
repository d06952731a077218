"""Stages of a login, in the manner of authentik's flows and stages.

A stage is a small class with one job: prove one thing about the person logging in (a
code from SMS, from an app, a recovery code…). Stages are registered by dotted path in a
site's settings and found by their ``name``; a site's policy builds the plan — the names
of the stages still to pass, kept in the session — and its views run the current stage.

Adding a way in: write a Stage subclass, add its dotted path to the site's stage list
(settings), and name it in the site's policy.
"""

from dataclasses import dataclass
from functools import cache

from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Verdict:
    ok: bool
    message: str = ""  # why not, in Russian (gettext)
    # A guess: a failure that counts toward the lockout (an expired code does not).
    counts: bool = True
    # A short word for the journal (wrong, expired…).
    reason: str = ""


class Stage:
    """One step of a login. Subclasses set ``name`` and implement ``check``."""

    name = ""
    # RFC 8176 method references this stage proves (for OpenID Connect's amr).
    amr: tuple[str, ...] = ()

    def available(self, subject) -> bool:
        """Whether ``subject`` can pass this stage at all (an app enrolled, a phone…)."""
        return True

    def begin(self, request, subject) -> None:
        """Called when the stage becomes the current one (send a code, say)."""

    def check(self, subject, answer: str) -> Verdict:
        """Check the answer. Runs inside the transaction that holds the subject's lock
        rows and, on the last stage, finishes the login."""
        raise NotImplementedError


@cache
def _registry(paths: tuple[str, ...]) -> dict[str, Stage]:
    stages = {}
    for path in paths:
        stage = import_string(path)()
        if not stage.name or stage.name in stages:
            raise ValueError(f"stage {path}: no name, or a name taken by another stage")
        stages[stage.name] = stage
    return stages


def registry(paths) -> dict[str, Stage]:
    """The stages of ``paths`` (dotted paths of Stage classes) by name, built once."""
    return _registry(tuple(paths))
