from django.core.management.base import BaseCommand, CommandError

from ietsportal.audit.models import AuditEntry
from ietsportal.audit.services import audit_chain_verify


class Command(BaseCommand):
    help = "Verify the hash chain of the audit log (M§24); exit 1 naming the first bad entry."

    def handle(self, *args, **options):
        problem = audit_chain_verify()
        if problem is not None:
            raise CommandError(f"audit log broken at entry #{problem.seq}: {problem.reason}")
        self.stdout.write(f"audit log intact: {AuditEntry.objects.count()} entries")
