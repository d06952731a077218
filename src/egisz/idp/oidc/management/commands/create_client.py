import json

from django.core.management.base import BaseCommand, CommandError

from egisz.idp.oidc import client_auth, services


class Command(BaseCommand):
    help = "Register a partner service (OpenID Connect client); prints its id and secret."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--redirect-uri", action="append", required=True, dest="redirect_uris")
        parser.add_argument("--scopes", required=True, help='e.g. "openid fullname birthdate"')
        parser.add_argument("--public", action="store_true", help="no secret; PKCE required")
        parser.add_argument("--pairwise", action="store_true", help="a sub of its own per citizen")
        parser.add_argument(
            "--always-refresh-tokens",
            action="store_true",
            help="a refresh token at every login, without asking for offline_access "
            "(the operator's own services, such as the cabinet)",
        )
        parser.add_argument("--post-logout-uri", action="append", default=[], dest="logout_uris")
        parser.add_argument("--algorithm", choices=["RS256", "ES256"], default="RS256")
        parser.add_argument(
            "--backchannel-logout-uri",
            default="",
            help="where the provider POSTs a logout token when the citizen's session ends "
            "(OpenID Connect Back-Channel Logout 1.0)",
        )
        parser.add_argument(
            "--jwks-file",
            help="the client's public keys (JWKS JSON): it then authenticates with "
            "private_key_jwt instead of a secret",
        )

    def handle(self, *args, **options):
        jwks = None
        if options["jwks_file"]:
            try:
                with open(options["jwks_file"], encoding="utf-8") as handle:
                    jwks = json.load(handle)
            except (OSError, ValueError) as error:
                raise CommandError(f"cannot read the JWKS file: {error}") from error
        try:
            client = services.create_client(
                name=options["name"],
                redirect_uris=options["redirect_uris"],
                scopes=options["scopes"].split(),
                public=options["public"],
                pairwise=options["pairwise"],
                always_refresh_tokens=options["always_refresh_tokens"],
                post_logout_uris=options["logout_uris"],
                id_token_algorithm=options["algorithm"],
                backchannel_logout_uri=options["backchannel_logout_uri"],
            )
            if jwks is not None:
                client_auth.use_private_key_jwt(application=client.application, jwks=jwks)
        except services.ClientError as error:
            raise CommandError(error.message) from error
        except Exception as error:  # model validation of DOT's fields, bad keys
            raise CommandError(str(error)) from error
        secret = None if jwks is not None else client.client_secret
        self.stdout.write(
            json.dumps({"client_id": client.client_id, "client_secret": secret}, ensure_ascii=False)
        )
