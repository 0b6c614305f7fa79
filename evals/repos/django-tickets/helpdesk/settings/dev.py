"""Local development: debug on, a throwaway secret key, console e-mail."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "django-insecure-dev-only-7c1f0b2e")

from .base import *  # noqa: E402,F401,F403

DEBUG = True
ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
