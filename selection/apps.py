from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SelectionConfig(AppConfig):
    name = "selection"
    verbose_name = _("Self-evaluation and supplier selection")
    default_auto_field = "django.db.models.BigAutoField"
