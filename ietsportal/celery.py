"""The Celery app. Production: Redis broker, separate worker and beat. Embedded default: Kombu's
filesystem transport with beat inside one worker (`celery -A ietsportal worker -B -P solo`)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ietsportal.settings")

app = Celery("ietsportal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
