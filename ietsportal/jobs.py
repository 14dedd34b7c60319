"""The scheduled jobs (DESIGN.md, Time): each takes `now`, is idempotent and catches up."""

from datetime import datetime

from applications.services import applications_issue_due, material_requests_notify_overdue
from certificates.lookups import lookup_counts_persist
from certificates.services import (
    annual_reviews_mark_overdue,
    annual_reviews_open_due,
    certificates_expire_due,
    reevaluation_reminders,
)
from ietsportal.notifications.services import notification_emails_send

JOBS = [
    ("issue_after_publicity", applications_issue_due),
    ("expire_certificates", certificates_expire_due),
    ("open_annual_reviews", annual_reviews_open_due),
    ("revoke_overdue_annual_reviews", annual_reviews_mark_overdue),
    ("reevaluation_reminders", reevaluation_reminders),
    ("material_requests_overdue", material_requests_notify_overdue),
    ("send_pending_notifications", notification_emails_send),
    ("persist_lookup_counts", lookup_counts_persist),
]


def run_due_jobs(*, now: datetime) -> dict[str, int]:
    return {name: job(now=now) for name, job in JOBS}
