"""Audit actions are typed: every action is a member of a site's vocabulary (an enum with a
Russian label), never a free string."""

import ast
from pathlib import Path

import pytest

import egisz
from egisz.cabinet.audit_actions import CabinetAction
from egisz.common.audit import vocabulary
from egisz.common.audit.models import AuditEvent
from egisz.common.audit.services import record_event
from egisz.idp.audit_actions import IdpAction

SOURCE = Path(egisz.__file__).parent
# Functions whose ``action`` argument is an audit action.
RECORDING = {"record_event", "set_new_password", "end_session"}
# The login modules still pass the member's value as a string; their owners convert them.


def action_arguments():
    for path in sorted(SOURCE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        relative = path.relative_to(SOURCE).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", getattr(node.func, "id", None))
            if name not in RECORDING:
                continue
            for keyword in node.keywords:
                if keyword.arg == "action":
                    yield relative, node.lineno, keyword.value


def strings_in(expression) -> list[str | None]:
    """The string literals of an expression (None for an f-string: no fixed value)."""
    found = []
    for node in ast.walk(expression):
        if isinstance(node, ast.JoinedStr):
            found.append(None)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.append(node.value)
    return found


def test_no_audit_action_is_a_free_string():
    offenders = [f"{path}:{line}" for path, line, value in action_arguments() if strings_in(value)]
    assert offenders == []


def test_actions_are_unique_and_each_has_a_russian_label():
    values = [member.value for member in (*vocabulary.CommonAction, *IdpAction, *CabinetAction)]
    assert len(values) == len(set(values))
    for member in (*vocabulary.CommonAction, *IdpAction, *CabinetAction):
        assert any("а" <= letter.lower() <= "я" for letter in str(member.label)), member


@pytest.mark.django_db
def test_record_event_stores_the_members_value(meta):
    event = record_event(action=IdpAction.LOGIN_SUCCESS, meta=meta, subject="7")
    assert AuditEvent.objects.get(pk=event.pk).action == "login.success"
    assert str(vocabulary.label("login.success")) == "Вход в учётную запись"


@pytest.mark.django_db
def test_an_action_no_vocabulary_names_is_refused_and_nothing_is_written(meta):
    with pytest.raises(vocabulary.UnknownAction):
        record_event(action="login.sucess", meta=meta, subject="7")
    # A member's value typed as a plain string is refused too: actions are named by member.
    with pytest.raises(vocabulary.UnknownAction):
        record_event(action="login.success", meta=meta, subject="7")
    # Another site's action is not this site's vocabulary either.
    with pytest.raises(vocabulary.UnknownAction):
        record_event(action=CabinetAction.LOGIN, meta=meta, subject="7")
    assert not AuditEvent.objects.exists()


def test_no_audit_event_is_built_from_a_dictionary_with_a_string_action():
    offenders = []
    for path in sorted(SOURCE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    if (
                        isinstance(key, ast.Constant)
                        and key.value == "action"
                        and strings_in(value)
                    ):
                        offenders.append(f"{path.relative_to(SOURCE)}:{node.lineno}")
    assert offenders == []
