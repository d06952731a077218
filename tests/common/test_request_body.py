"""Request bodies are bounded before they are read: an oversized request by its
Content-Length (413, a page that says the limit), a body without a length (411)."""

import pytest
from django.conf import settings

from tests.common.bodies import post_declaring

pytestmark = pytest.mark.django_db


def test_a_request_declared_over_the_limit_is_refused_unread(client):
    response, body = post_declaring(client, "/register/", 50 * 1024 * 1024)
    assert response.status_code == 413
    page = response.content.decode()
    assert "Слишком большой объём данных" in page
    assert "не больше 2,5 МБ" in page
    assert body.read_bytes == 0
    assert "Content-Security-Policy" in response.headers


def test_the_limit_of_the_identity_provider_is_its_form_allowance():
    # The IdP takes no files: a request is its form fields, nothing more.
    assert settings.REQUEST_MAX_BYTES == settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 2_621_440


def test_a_request_of_exactly_the_limit_is_read(client, settings):
    settings.REQUEST_MAX_BYTES = 1000
    response, body = post_declaring(client, "/register/", 1000)
    assert response.status_code != 413
    assert body.read_bytes == 1000  # the form was parsed (and the CSRF check answered it)
    response, body = post_declaring(client, "/register/", 1001)
    assert response.status_code == 413 and body.read_bytes == 0


def test_a_chunked_body_without_a_length_is_answered_411_unread(client):
    response, body = post_declaring(client, "/register/", None, HTTP_TRANSFER_ENCODING="chunked")
    assert response.status_code == 411
    assert "Не указан размер запроса" in response.content.decode()
    assert body.read_bytes == 0
