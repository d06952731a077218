import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


@pytest.fixture
def migrate_oidc():
    """For migration tests (marked django_db(transaction=True)): moves the oidc app's
    schema to the named migration and returns the models as they were then; the latest
    schema is back after the test."""

    def migrate(name: str):
        executor = MigrationExecutor(connection)
        executor.migrate([("oidc", name)])
        return executor.loader.project_state([("oidc", name)]).apps

    yield migrate
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
