"""The scheduled jobs (DESIGN.md, Time): each takes `now`, is idempotent and catches up."""

from datetime import datetime

from applications.services import applications_issue_due
from certificates.services import certificates_expire_due
from ietsportal.notifications.services import notification_emails_send

JOBS = [
    ("issue_after_publicity", applications_issue_due),
    ("expire_certificates", certificates_expire_due),
    ("send_pending_notifications", notification_emails_send),
]


def run_due_jobs(*, now: datetime) -> dict[str, int]:
    return {name: job(now=now) for name, job in JOBS}
