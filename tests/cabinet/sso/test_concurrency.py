"""On PostgreSQL: two requests of one session whose access token expired at the same moment
spend the rotated refresh token once (the provider treats a reused one as stolen), and one
logout token delivered twice at the same moment is accepted once."""

from datetime import timedelta

from django.utils import timezone

from egisz.cabinet.sso import services
from egisz.cabinet.sso.models import ProviderGrant
from tests.cabinet.concurrency import POSTGRES_RACE, race

pytestmark = POSTGRES_RACE


def test_two_requests_refresh_once(client, provider, login_through_provider):
    login_through_provider()
    grant = ProviderGrant.objects.get()
    ProviderGrant.objects.filter(pk=grant.pk).update(
        access_expires_at=timezone.now() - timedelta(seconds=1)
    )

    def check():
        return services.check_grant(grant_id=grant.pk, user=grant.user, interval=0)

    results = race(check, check)
    # One refreshed; the other either waited on the row lock and found it refreshed, or
    # came after and found a live access token. Neither ends the session.
    assert set(results) <= {services.GRANT_REFRESHED, services.GRANT_OK}, results
    assert provider.token_grant_types().count("refresh_token") == 1
    grant.refresh_from_db()
    assert grant.refresh_token in provider.refresh_tokens  # the stored one is the live one


def test_one_logout_token_delivered_twice_at_once_is_accepted_once(provider, meta):
    token = provider.logout_token(sub="subject-maria")

    def deliver():
        return services.backchannel_logout(logout_token=token, meta=meta)

    results = race(deliver, deliver)
    assert sorted(map(type, results), key=str) == sorted(
        [int, services.LogoutTokenRefused], key=str
    ), results
    refused = next(r for r in results if isinstance(r, services.LogoutTokenRefused))
    assert refused.reason == "jti_replayed"
