"""The `sub` a client sees: public (the account's own identifier) or pairwise; and the
`sid` it knows an IdP session by.

A pairwise client gets a value of its own for each citizen (OpenID Connect Core §8.1):
HMAC-SHA256 over the client's sector (the host of its first redirect URI) and the
account's public identifier, shaped as a UUID. The same citizen and client always give the
same value; two clients cannot match their values to find a common citizen. Clients on one
host share a sector, as the specification intends.

The key is settings.OIDC_PAIRWISE_SECRET when set, otherwise SECRET_KEY: once clients
have stored pairwise values, the key must never change.

A session's `sid` (OpenID Connect Back-Channel Logout 1.0) is an HMAC of the client's
identifier under the session's own random key: stable for the whole session, unrelated to
the session cookie, and different at each client, so that two clients cannot match their
`sid` values to learn that one person used both.
"""

import base64
import hashlib
import hmac
import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.crypto import salted_hmac

SALT = "egisz.idp.oidc.pairwise-subject"


def _secret() -> str:
    return getattr(settings, "OIDC_PAIRWISE_SECRET", "") or settings.SECRET_KEY


def sector_of(application) -> str:
    """The sector identifier of a client: the host of its (first) redirect URI."""
    uris = (application.redirect_uris or "").split()
    host = urlsplit(uris[0]).hostname if uris else None
    return (host or application.client_id).lower()


def is_pairwise(application) -> bool:
    profile = getattr(application, "profile", None)
    return bool(profile and profile.pairwise_subject)


def pairwise_subject(account_sub, sector: str) -> str:
    digest = salted_hmac(SALT, f"{sector}\n{account_sub}", secret=_secret(), algorithm="sha256")
    return str(uuid.UUID(bytes=digest.digest()[:16], version=4))


def subject_for(account, application) -> str:
    """The `sub` claim of ``account`` for ``application`` (None: the public value)."""
    if application is not None and is_pairwise(application):
        return pairwise_subject(account.sub, sector_of(application))
    return str(account.sub)


def sid_for(session, application) -> str:
    """The `sid` of the IdP ``session`` (an AccountSession) at ``application``."""
    digest = hmac.new(
        session.sid_key.encode(), application.client_id.encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode("ascii")
