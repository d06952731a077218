"""Signing keys (rotation, publication) and the partner-client commands."""

import datetime
import io
import json

import pytest
import time_machine
from django.contrib.auth.hashers import check_password
from django.core.management import CommandError, call_command
from joserfc import jwt

from egisz.common.audit.models import AuditEvent
from egisz.idp.oidc import keys
from egisz.idp.oidc.models import ClientProfile, SigningKey

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 6, 1, 12, 0, tzinfo=datetime.UTC)


def published_kids(client) -> set[str]:
    return {key["kid"] for key in client.get("/.well-known/jwks.json").json()["keys"]}


def test_jwks_publishes_rs256_and_es256_public_keys_only(client):
    call_command("rotate_keys", stdout=io.StringIO())
    response = client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    published = response.json()["keys"]
    assert {key["alg"] for key in published} == {"RS256", "ES256"}
    for key in published:
        assert key["use"] == "sig" and key["kid"]
        assert "d" not in key and "p" not in key  # no private parts
    assert not SigningKey.objects.filter(encrypted_private_key__contains="PRIVATE KEY").exists()


def test_a_token_signed_with_the_current_key_verifies_against_the_jwks(client):
    for algorithm in ("RS256", "ES256"):
        key = keys.signing_key(algorithm)
        token = jwt.encode({"alg": algorithm, "kid": key.kid}, {"sub": "x"}, key)
        decoded = jwt.decode(token, keys.verification_keys(), algorithms=[algorithm])
        assert decoded.claims == {"sub": "x"}


def test_rotation_makes_a_new_signing_key_and_keeps_the_old_one_until_its_tokens_expire(
    client, settings
):
    lifetime = max(
        settings.OAUTH2_PROVIDER["ID_TOKEN_EXPIRE_SECONDS"],
        settings.OAUTH2_PROVIDER["ACCESS_TOKEN_EXPIRE_SECONDS"],
    )
    with time_machine.travel(START, tick=False) as clock:
        old = keys.signing_key("RS256").kid
        out = io.StringIO()
        call_command("rotate_keys", stdout=out)
        new = keys.signing_key("RS256").kid
        assert new != old and new in out.getvalue()
        assert {old, new} <= published_kids(client)
        clock.shift(datetime.timedelta(seconds=lifetime))
        assert old in published_kids(client)  # a token it signed may still be valid
        clock.shift(datetime.timedelta(seconds=301))
        assert old not in published_kids(client) and new in published_kids(client)
    assert AuditEvent.objects.filter(action="oidc.keys_rotated").exists()


def test_create_client_prints_id_and_secret_and_list_clients_shows_it():
    out = io.StringIO()
    call_command(
        "create_client",
        "--name=Запись к врачу",
        "--redirect-uri=https://partner.example/cb",
        "--redirect-uri=https://partner.example/cb2",
        "--scopes=openid fullname birthdate",
        "--pairwise",
        "--post-logout-uri=https://partner.example/bye",
        stdout=out,
    )
    created = json.loads(out.getvalue())
    assert created["client_id"] and len(created["client_secret"]) >= 40
    profile = ClientProfile.objects.get(application__client_id=created["client_id"])
    # Only the secret's hash is stored: a fast salted hash, as fits a 384-bit random secret.
    stored = profile.application.client_secret
    assert stored != created["client_secret"] and stored.startswith("client_secret_sha256$")
    assert check_password(created["client_secret"], stored)
    assert not check_password(created["client_secret"] + "x", stored)
    out = io.StringIO()
    call_command("list_clients", stdout=out)
    listed = json.loads(out.getvalue().splitlines()[0])
    assert listed["name"] == "Запись к врачу"
    assert listed["redirect_uris"] == ["https://partner.example/cb", "https://partner.example/cb2"]
    assert listed["scopes"] == ["openid", "fullname", "birthdate"]
    assert listed["pairwise"] is True and listed["post_logout_uris"] == [
        "https://partner.example/bye"
    ]
    assert "client_secret" not in listed


def test_a_public_client_gets_no_secret():
    out = io.StringIO()
    call_command(
        "create_client",
        "--name=App",
        "--redirect-uri=https://app.example/cb",
        "--scopes=openid",
        "--public",
        stdout=out,
    )
    assert json.loads(out.getvalue())["client_secret"] is None


@pytest.mark.parametrize(
    "args,message",
    [
        (["--scopes=openid bogus"], "Неизвестные области доступа: bogus"),
        (["--scopes=openid", "--redirect-uri=javascript:alert(1)"], "недопустим"),
        (["--scopes=openid", "--redirect-uri=https://a.example/cb#frag"], "недопустим"),
    ],
)
def test_bad_client_definitions_are_refused(args, message):
    base = ["--name=X"]
    if not any(arg.startswith("--redirect-uri") for arg in args):
        base.append("--redirect-uri=https://a.example/cb")
    with pytest.raises(CommandError, match=message):
        call_command("create_client", *base, *args, stdout=io.StringIO())


def test_create_client_with_a_jwks_file_uses_private_key_jwt(tmp_path):
    from joserfc.jwk import ECKey

    key = ECKey.generate_key("P-256", parameters={"kid": "partner-1"}, private=True)
    jwks_file = tmp_path / "jwks.json"
    jwks_file.write_text(json.dumps({"keys": [key.as_dict(private=False)]}))
    out = io.StringIO()
    call_command(
        "create_client",
        "--name=Signed",
        "--redirect-uri=https://s.example/cb",
        "--scopes=openid",
        f"--jwks-file={jwks_file}",
        stdout=out,
    )
    created = json.loads(out.getvalue())
    assert created["client_secret"] is None
    out = io.StringIO()
    call_command("list_clients", stdout=out)
    assert json.loads(out.getvalue())["token_endpoint_auth_method"] == "private_key_jwt"


def test_the_jwks_has_both_algorithms_before_any_token_is_signed(client):
    assert {key["alg"] for key in client.get("/.well-known/jwks.json").json()["keys"]} == {
        "RS256",
        "ES256",
    }


def test_there_is_never_a_second_current_key_of_one_algorithm():
    keys.signing_key("RS256")
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        SigningKey.objects.create(kid="rs256-extra", algorithm="RS256", encrypted_private_key="x")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_workers_signing_their_first_tokens_at_once_share_one_key():
    # A fresh database and several workers signing at the same moment: before the fix each
    # made a key of its own, and relying parties that had cached the JWKS refused tokens.
    import threading

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set EGISZ_IDP_DATABASE_URL)")
    attempts = 6
    start = threading.Barrier(attempts)
    kids, errors = [], []

    def sign():
        try:
            start.wait()
            kids.append(keys.signing_key("RS256").kid)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sign) for _ in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(set(kids)) == 1
    assert SigningKey.objects.filter(algorithm="RS256").count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_migration_retires_all_but_the_newest_current_key():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    before = [("oidc", "0003_support_manages_clients")]
    after = [("oidc", "0004_one_current_signing_key")]
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    OldKey = old_apps.get_model("oidc", "SigningKey")
    for n, kid in enumerate(["rs-a", "rs-b", "rs-c"]):
        OldKey.objects.create(
            kid=kid,
            algorithm="RS256",
            encrypted_private_key="x",
            created_at=START + datetime.timedelta(seconds=n),
        )
    OldKey.objects.create(kid="es-a", algorithm="ES256", encrypted_private_key="x")

    executor = MigrationExecutor(connection)
    executor.migrate(after)
    current = set(SigningKey.objects.filter(retired_at__isnull=True).values_list("kid", flat=True))
    assert current == {"rs-c", "es-a"}
    # The retired ones stay published for the tokens they signed.
    assert SigningKey.objects.count() == 4
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
