"""The client address behind reverse proxies: what the journals record and what per-address
throttling counts are the same address, and X-Forwarded-For is trusted only as configured."""

import pytest
from django.test import RequestFactory
from django_ratelimit.core import get_usage

from egisz.common.request_meta import RequestMeta, client_ip, throttle_address

FORWARDED = "198.51.100.7, 203.0.113.9"  # the client, then the outer proxy


def request_from(remote: str, forwarded: str | None = None):
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **headers)


def test_without_proxies_the_header_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    request = request_from("192.0.2.1", FORWARDED)
    assert client_ip(request) == "192.0.2.1"
    assert throttle_address(request) == "192.0.2.1"


@pytest.mark.parametrize(("count", "expected"), [(1, "203.0.113.9"), (2, "198.51.100.7")])
def test_behind_proxies_the_client_is_that_many_hops_from_the_right(settings, count, expected):
    settings.TRUSTED_PROXY_COUNT = count
    request = request_from("10.0.0.5", FORWARDED)
    assert client_ip(request) == expected
    assert RequestMeta.from_request(request).ip == expected
    assert throttle_address(request) == expected


def test_a_header_shorter_than_the_proxy_chain_is_not_believed(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(request_from("10.0.0.5", "198.51.100.7")) == "10.0.0.5"


@pytest.mark.django_db
def test_throttling_behind_a_proxy_counts_each_client_apart(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    first = request_from("10.0.0.5", "198.51.100.1")
    second = request_from("10.0.0.5", "198.51.100.2")
    for _ in range(4):
        usage = get_usage(first, group="test-proxy", key="ip", rate="3/m", increment=True)
    assert usage["should_limit"]
    other = get_usage(second, group="test-proxy", key="ip", rate="3/m", increment=True)
    assert other["count"] == 1 and not other["should_limit"]
