"""A password hasher that counts how often it hashes (for tests that compare two paths' work)."""

from django.contrib.auth.hashers import MD5PasswordHasher


class CountingHasher(MD5PasswordHasher):
    algorithm = "counting_md5"
    encoded = 0

    def encode(self, password, salt):
        type(self).encoded += 1
        return super().encode(password, salt)
