from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "ietsportal.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        from django.core.signals import request_started

        from .messages import texts_forget

        request_started.connect(texts_forget, dispatch_uid="notification-texts-forget")
