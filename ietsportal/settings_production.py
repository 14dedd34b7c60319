"""Production settings: the defaults of settings.py hardened for the internet.

`DJANGO_SETTINGS_MODULE=ietsportal.settings_production python manage.py check --deploy
--fail-level WARNING` passes; the real SECRET_KEY, DATABASE_URL and REDIS_URL come from the
environment (docker-compose.yml sets them).
"""

import os

from .settings import *  # noqa: F403

DEBUG = False
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if len(SECRET_KEY) < 50:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("SECRET_KEY must be set to at least 50 random characters.")
if MAILERS["default"]["BACKEND"].endswith("console.EmailBackend"):  # noqa: F405
    # Production sends real mail: the local MTA unless EMAIL_HOST names another server.
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "localhost", "port": 25, "timeout": 10},
        }
    }
SECURE_SSL_REDIRECT = os.environ.get("SECURE_SSL_REDIRECT", "true").lower() == "true"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_AGE = 8 * 3600
STORAGES["staticfiles"]["BACKEND"] = (  # noqa: F405
    "whitenoise.storage.CompressedManifestStaticFilesStorage"
)
