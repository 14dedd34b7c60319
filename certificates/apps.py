from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CertificatesConfig(AppConfig):
    name = "certificates"
    verbose_name = _("Certificates")

    def ready(self):
        from . import checks  # noqa: F401 - registers the deploy check
        from .lookups import connect_invalidation

        connect_invalidation()
