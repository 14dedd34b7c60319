from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from ietsportal import jobs


class Command(BaseCommand):
    help = "Run every scheduled job once, as of --at (ISO 8601; default now)."

    def add_arguments(self, parser):
        parser.add_argument("--at", help="the instant to run as, e.g. 2026-12-05T09:00:00+08:00")

    def handle(self, *args, at=None, **options):
        now = timezone.now()
        if at:
            try:
                now = datetime.fromisoformat(at)
            except ValueError:
                raise CommandError(f"--at must be an ISO 8601 date-time, not {at!r}") from None
            if timezone.is_naive(now):
                now = timezone.make_aware(now)
        for name, count in jobs.run_due_jobs(now=now).items():
            self.stdout.write(f"{name}: {count}")
