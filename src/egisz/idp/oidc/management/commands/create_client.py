import json

from django.core.management.base import BaseCommand, CommandError

from egisz.idp.oidc import services


class Command(BaseCommand):
    help = "Register a partner service (OpenID Connect client); prints its id and secret."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--redirect-uri", action="append", required=True, dest="redirect_uris")
        parser.add_argument("--scopes", required=True, help='e.g. "openid fullname birthdate"')
        parser.add_argument("--public", action="store_true", help="no secret; PKCE required")
        parser.add_argument("--pairwise", action="store_true", help="a sub of its own per citizen")
        parser.add_argument("--post-logout-uri", action="append", default=[], dest="logout_uris")
        parser.add_argument("--algorithm", choices=["RS256", "ES256"], default="RS256")

    def handle(self, *args, **options):
        try:
            client = services.create_client(
                name=options["name"],
                redirect_uris=options["redirect_uris"],
                scopes=options["scopes"].split(),
                public=options["public"],
                pairwise=options["pairwise"],
                post_logout_uris=options["logout_uris"],
                id_token_algorithm=options["algorithm"],
            )
        except services.ClientError as error:
            raise CommandError(error.message) from error
        except Exception as error:  # model validation of DOT's fields
            raise CommandError(str(error)) from error
        self.stdout.write(
            json.dumps(
                {"client_id": client.client_id, "client_secret": client.client_secret},
                ensure_ascii=False,
            )
        )
