"""The migration giving sessions their `sid` key: sessions recorded before it each get a
key of their own (a unique column cannot give them one shared default)."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from egisz.idp.authn.models import AccountSession


@pytest.mark.django_db(transaction=True)
def test_sessions_recorded_before_get_distinct_keys(make_account):
    account = make_account()
    before = [("authn", "0001_initial")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    OldSession = old_apps.get_model("authn", "AccountSession")
    for n in range(3):
        OldSession.objects.create(account_id=account.pk, session_key=f"key-{n}", method="pwd+sms")

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    keys = list(AccountSession.objects.values_list("sid_key", flat=True))
    assert len(keys) == 3 and len(set(keys)) == 3
    assert all(len(key) >= 32 and not key.startswith("key-") for key in keys)
