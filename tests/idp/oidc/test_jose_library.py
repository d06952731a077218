"""One JOSE library in the project's code: joserfc. jwcrypto stays installed only because
django-oauth-toolkit imports it for its own signing and verification, which the project
replaces; a toolkit path that would still verify an ID token with it finds no key."""

import ast
from pathlib import Path

import pytest
from oauth2_provider.views.oidc import _load_id_token as toolkit_load_id_token

import egisz
from tests.idp.oidc import flow

pytestmark = pytest.mark.django_db

SOURCE = Path(egisz.__file__).parent


def imported_modules(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


def test_no_module_of_the_project_imports_jwcrypto():
    offenders = [
        str(path.relative_to(SOURCE))
        for path in SOURCE.rglob("*.py")
        if any(name.split(".")[0] == "jwcrypto" for name in imported_modules(path))
    ]
    assert offenders == []


def test_the_toolkits_own_id_token_loader_accepts_nothing(client, make_account):
    account = make_account()
    rp = flow.make_client()
    tokens = flow.tokens_for(client, rp, account)

    assert flow.verify(client, tokens["id_token"])  # a good token of this provider
    assert toolkit_load_id_token(tokens["id_token"]) == (None, None)
