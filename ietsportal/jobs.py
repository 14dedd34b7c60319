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
from institutions.services import assessors_participation_check, institutions_staffing_check
from supervision.services import cases_remind_overdue
from supervision.services_exports import exports_purge_old, exports_requeue_stale

JOBS = [
    ("issue_after_publicity", applications_issue_due),
    ("expire_certificates", certificates_expire_due),
    ("open_annual_reviews", annual_reviews_open_due),
    ("revoke_overdue_annual_reviews", annual_reviews_mark_overdue),
    ("reevaluation_reminders", reevaluation_reminders),
    ("check_institution_staffing", institutions_staffing_check),
    ("check_assessor_participation", assessors_participation_check),
    ("material_requests_overdue", material_requests_notify_overdue),
    ("send_pending_notifications", notification_emails_send),
    ("persist_lookup_counts", lookup_counts_persist),
    ("remind_overdue_cases", cases_remind_overdue),
    ("requeue_stale_exports", exports_requeue_stale),
    ("purge_old_exports", exports_purge_old),
]


def run_due_jobs(*, now: datetime) -> dict[str, int]:
    return {name: job(now=now) for name, job in JOBS}
