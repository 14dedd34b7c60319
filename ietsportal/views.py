from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import connection
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import ngettext
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.generic import ListView, TemplateView

from applications.enums import ApplicationState
from applications.models import Application
from certificates.enums import CertificateStatus
from certificates.models import Certificate

from .notifications.models import Notification
from .notifications.services import notification_mark_read


class TenantScopedMixin(LoginRequiredMixin):
    """The one base for pages about tenant-owned objects: `model.objects.for_user` is the
    queryset, so anything outside the user's scope is a 404 (never a 403 that leaks it)."""

    model = None

    def get_queryset(self):
        return self.model.objects.for_user(self.request.user)


class HomeView(TemplateView):
    template_name = "home.html"

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "valid_certificates": Certificate.objects.filter(
                status=CertificateStatus.VALID
            ).count(),
            "in_publicity": Application.objects.filter(state=ApplicationState.PUBLICITY).count(),
        }


class NotificationListView(LoginRequiredMixin, ListView):
    """The user's inbox; POST marks all (`all`) or the selected (`ids`) read, and says how many."""

    template_name = "notifications.html"
    paginate_by = 50

    def get_queryset(self):
        qs = Notification.objects.filter(recipient=self.request.user)
        if self.request.GET.get("unread") == "1":
            qs = qs.filter(read_at__isnull=True)
        return qs

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "unread_only": self.request.GET.get("unread") == "1",
        }

    def post(self, request):
        ids = None
        if "all" not in request.POST:
            ids = [int(raw) for raw in request.POST.getlist("ids")[:500] if raw.isdigit()]
        changed = notification_mark_read(user=request.user, now=timezone.now(), ids=ids)
        messages.success(
            request,
            ngettext(
                "%(n)d notification marked as read.",
                "%(n)d notifications marked as read.",
                changed,
            )
            % {"n": changed},
        )
        return redirect(request.get_full_path())


class HealthView(View):
    """For the load balancer and compose health checks: the database answers."""

    def get(self, request):
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return JsonResponse({"status": "ok"})


def cache_health(request):
    """For monitoring, not for the load balancer (the portal serves while the cache is down,
    ietsportal/cache.py): 200 when the cache answers a read, 503 when it does not. One round
    trip and nothing else, so `make bench` also uses it as the reference for what a request
    costs that reads Redis once (docs/performance.md)."""
    from django.core.cache import caches

    from .cache import ResilientRedisCache

    backend, down = caches["default"], object()
    if isinstance(backend, ResilientRedisCache):
        client = backend._cache.get_client(None)
        if backend._guard("health", down, client.get, backend.make_key("healthz")) is down:
            return JsonResponse({"status": "unavailable"}, status=503)
    else:
        backend.get("healthz")
    return JsonResponse({"status": "ok"})


def favicon(request):
    from django.templatetags.static import static

    return redirect(static("img/favicon.svg"), permanent=True)


def robots(request):
    return HttpResponse(
        "User-agent: *\nDisallow: /api/\nDisallow: /workspace/\n", content_type="text/plain"
    )


@never_cache
def language_switch(request):
    """The language form of every page (templates/base.html), by GET: it needs no CSRF token,
    so a page for anonymous visitors carries nothing of one visitor and the public lookup can
    cache it whole (issue #8). It changes only the display language (the same cookie as
    Django's `set_language`, which stays for POSTs); an unknown language changes nothing, and
    `next` must be a path of this site."""
    from django.conf import settings
    from django.utils.http import url_has_allowed_host_and_scheme
    from django.utils.translation import check_for_language

    next_url = request.GET.get("next", "/")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    code = request.GET.get("language", "")
    if code in dict(settings.LANGUAGES) and check_for_language(code):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            code,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    return response
