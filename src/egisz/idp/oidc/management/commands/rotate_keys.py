from django.core.management.base import BaseCommand

from egisz.idp.oidc import services


class Command(BaseCommand):
    help = (
        "Add new RS256 and ES256 signing keys and make them current; the old public keys "
        "stay in the JWKS until every token they signed has expired."
    )

    def handle(self, *args, **options):
        for key in services.rotate_signing_keys():
            self.stdout.write(f"{key.algorithm} {key.kid}")
