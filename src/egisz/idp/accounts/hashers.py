from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher


class ConfiguredArgon2Hasher(Argon2PasswordHasher):
    """Argon2id with parameters from settings. Django's must_update() compares a stored
    hash with these, so older hashes are upgraded at the next successful login."""

    algorithm = "argon2"

    @property
    def time_cost(self):
        return settings.ARGON2_TIME_COST

    @property
    def memory_cost(self):
        return settings.ARGON2_MEMORY_COST_KIB

    @property
    def parallelism(self):
        return settings.ARGON2_PARALLELISM
