"""The ЕГИСЗ personal cabinet site (port EGISZ_CABINET_PORT, 8001 by default).

It is built in later work: a plain OpenID Connect relying party of the IdP with its own
database. It will hold settings.py, urls.py and the apps sso, patients, documents,
organizations, requests, records, staff and api, and may import egisz.common only.
"""
