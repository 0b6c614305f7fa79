"""Production: everything secret comes from the environment."""

from .base import *  # noqa: F401,F403

ALLOWED_HOSTS = os.environ.get("TICKETS_ALLOWED_HOSTS", "").split(",")  # noqa: F405
SECURE_SSL_REDIRECT = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
