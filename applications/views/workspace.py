from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import ListView

from certificates.models import Certificate

from ..enums import ApplicationState
from ..models import Application


class WorkspaceView(LoginRequiredMixin, ListView):
    """Each role lands on its own work: the applications it may see, newest first."""

    template_name = "applications/workspace.html"
    context_object_name = "applications"
    paginate_by = 25

    def get_queryset(self):
        qs = (
            Application.objects.for_user(self.request.user)
            .select_related("organization", "institution")
            .order_by("-updated_at", "-id")
        )
        state = self.request.GET.get("state", "")
        if state in ApplicationState.values:
            qs = qs.filter(state=state)
        return qs

    def get_context_data(self, **kwargs):
        user = self.request.user
        return {
            **super().get_context_data(**kwargs),
            "states": ApplicationState.choices,
            "current_state": self.request.GET.get("state", ""),
            "certificates": (
                Certificate.objects.for_user(user).select_related("organization")[:10]
            ),
        }
