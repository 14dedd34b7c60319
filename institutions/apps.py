from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InstitutionsConfig(AppConfig):
    name = "institutions"
    verbose_name = _("Evaluation institutions")

    def ready(self):
        from ietsportal.notifications.messages import MESSAGES

        from . import checks  # noqa: F401 - registers the personal data key checks
        from .messages import MESSAGES as OURS

        MESSAGES.update(OURS)
