from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.utils import timezone
from django.views.generic import TemplateView

from ..selectors import BAR_WIDTH, dashboard_for


class DashboardView(LoginRequiredMixin, TemplateView):
    """The center's dashboard (M§7, M§23); an institution sees the same of its own work."""

    template_name = "supervision/dashboard.html"

    def get(self, request, *args, **kwargs):
        if not (request.user.is_center_staff or request.user.is_institution_admin):
            raise Http404
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            **dashboard_for(self.request.user, now=timezone.now()),
            "bar_width": BAR_WIDTH,
        }
