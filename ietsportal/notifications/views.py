"""The center's notification texts: every key in both languages, edit with a preview, reset to
the default. Everyone else: 404."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _g
from django.views import View

from ietsportal.errors import DomainError

from .messages import MESSAGES, default_text, placeholders
from .models import NotificationText
from .texts import notification_text_preview, notification_text_reset, notification_text_set


class CenterOnlyMixin(LoginRequiredMixin):
    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.is_center_staff:
            raise Http404
        return super().dispatch(request, *args, **kwargs)


class NotificationTextListView(CenterOnlyMixin, View):
    def get(self, request):
        overrides = {(row.key, row.language): row for row in NotificationText.objects.all()}
        rows = [
            {
                "key": key,
                "texts": [
                    {
                        "language": code,
                        "language_name": name,
                        "default": default_text(key, code),
                        "override": overrides.get((key, code)),
                    }
                    for code, name in settings.LANGUAGES
                ],
            }
            for key in sorted(MESSAGES)
        ]
        return render(request, "notifications/texts.html", {"rows": rows})


class NotificationTextEditView(CenterOnlyMixin, View):
    template_name = "notifications/text_edit.html"

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        if kwargs["key"] not in MESSAGES or kwargs["language"] not in dict(settings.LANGUAGES):
            raise Http404

    def page(self, request, key, language, *, text=None, preview=None, error=None, status=200):
        row = NotificationText.objects.filter(key=key, language=language).first()
        default = default_text(key, language)
        return render(
            request,
            self.template_name,
            {
                "key": key,
                "language": language,
                "language_name": dict(settings.LANGUAGES)[language],
                "default": default,
                "placeholders": sorted(f"%({n})s" for n in placeholders(default)),
                "override": row,
                "text": text if text is not None else (row.text if row else default),
                "preview": preview,
                "error": error,
            },
            status=status,
        )

    def get(self, request, key, language):
        return self.page(request, key, language)

    def post(self, request, key, language):
        text = request.POST.get("text", "")
        action = request.POST.get("action", "save")
        try:
            if action == "preview":
                preview = notification_text_preview(key=key, language=language, text=text)
                return self.page(request, key, language, text=text, preview=preview)
            if action == "reset":
                if notification_text_reset(
                    actor=request.user, key=key, language=language, now=timezone.now()
                ):
                    messages.success(request, _g("The default text applies again."))
                else:
                    messages.info(request, _g("This text was already the default."))
                return redirect("notification-text", key=key, language=language)
            notification_text_set(
                actor=request.user, key=key, language=language, text=text, now=timezone.now()
            )
        except DomainError as exc:
            return self.page(
                request, key, language, text=text, error=str(exc.message), status=exc.status_code
            )
        messages.success(request, _g("The text was saved; new and existing notifications use it."))
        return redirect("notification-text", key=key, language=language)
