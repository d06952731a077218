import pytest

from tests.cabinet.documents.clamd import clamd  # noqa: F401 (a session fixture: a real clamd)


@pytest.fixture(autouse=True)
def documents_dir(settings, tmp_path):
    """Every test stores its blobs in its own directory."""
    settings.DOCUMENTS_DIR = str(tmp_path / "documents")
    return tmp_path / "documents"
