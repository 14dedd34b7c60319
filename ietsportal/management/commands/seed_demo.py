from django.core.management.base import BaseCommand
from django.test.utils import override_settings

from ietsportal.demo import seed_demo


class Command(BaseCommand):
    help = "Load idempotent demo data (DESIGN.md): users, institutions, applications, certificates."

    def add_arguments(self, parser):
        parser.add_argument(
            "--password",
            default="demo12345",
            help="password of every demo account (default demo12345)",
        )

    def handle(self, *args, password, **options):
        # The demo's addresses are made up: its notifications stay in the in-app inbox and
        # their e-mails go nowhere instead of flooding the console.
        with override_settings(
            MAILERS={"default": {"BACKEND": "django.core.mail.backends.dummy.EmailBackend"}}
        ):
            result = seed_demo(password=password)
        if result["created"]:
            self.stdout.write(
                self.style.SUCCESS(f"demo data loaded: {result['certificates']} certificates")
            )
            if result.get("receipt_code"):
                # Shown once: only its hash is stored (M§23, anonymous reports).
                self.stdout.write(
                    f"receipt code of the demo anonymous report: {result['receipt_code']}"
                )
        else:
            self.stdout.write("demo data already present; passwords reset")
