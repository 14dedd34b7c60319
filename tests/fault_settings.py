"""Settings for the processes that tests/test_faults.py starts (a web server, Celery workers):
the project's settings, with e-mail written to files in FAULT_DIR so that the test can count
every mail that went out, and an optional hold that keeps a send "in flight" until the test
has killed the process doing it."""

import os
import time
import uuid
from pathlib import Path

from django.core.mail.backends.base import BaseEmailBackend

from ietsportal.settings import *  # noqa: F403

FAULT_DIR = Path(os.environ["FAULT_DIR"])
MAILERS = {"default": {"BACKEND": "tests.fault_settings.CountingFileBackend"}}
# The worker's beat runs the scheduled jobs at the real time; from October on, the R§12
# participation check would mail every assessor of the test's world, mixing mails of its own
# into the outbox the test counts. No minimum, no such mail.
ASSESSOR_MIN_EVALUATIONS_PER_YEAR = 0
if os.environ.get("FAULT_VISIBILITY_TIMEOUT"):
    # Production keeps the defaults (1 h; kombu then scans for abandoned messages every
    # 10 × 10 s); the test shortens both so a redelivery takes seconds, not an hour.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": int(os.environ["FAULT_VISIBILITY_TIMEOUT"]),
        "unacked_restore_interval": 1,
        "unacked_restore_throttle": 1,
    }


class CountingFileBackend(BaseEmailBackend):
    """One file per message in FAULT_DIR/outbox. While FAULT_DIR/hold exists, a send first
    writes FAULT_DIR/sending-<pid> and waits (at most a minute) before writing anything."""

    def send_messages(self, messages):
        hold = FAULT_DIR / "hold"
        if hold.exists():
            (FAULT_DIR / f"sending-{os.getpid()}").write_text("", encoding="utf-8")
            stop = time.monotonic() + 60
            while hold.exists() and time.monotonic() < stop:
                time.sleep(0.05)
        outbox = FAULT_DIR / "outbox"
        outbox.mkdir(exist_ok=True)
        for message in messages:
            path = outbox / f"{uuid.uuid4().hex}.eml"
            path.write_bytes(message.message().as_bytes())
        return len(messages)
