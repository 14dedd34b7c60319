from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _g
from django.views import View

from ietsportal.errors import DomainError, NotFound

from .. import services
from ..forms import ApplicationCreateForm


class ApplicationCreateView(LoginRequiredMixin, View):
    template_name = "applications/create.html"

    def _form(self, request, data=None, files=None):
        if not request.user.is_applicant:
            raise NotFound()
        return ApplicationCreateForm(data, files, organization=request.user.organization)

    def get(self, request):
        form = self._form(request)
        previous = request.GET.get("previous", "")
        if previous in dict(form.fields["previous_certificate"].choices):
            form.initial["previous_certificate"] = previous
        return render(request, self.template_name, {"form": form})

    def post(self, request):
        form = self._form(request, request.POST, request.FILES)
        if not form.is_valid():
            return render(request, self.template_name, {"form": form}, status=400)
        data = dict(form.cleaned_data)
        upload = data.pop("file")
        now = timezone.now()
        try:
            # One transaction: a rejected evidence file leaves no half-made draft behind.
            with transaction.atomic():
                app = services.application_create(
                    actor=request.user, institution_id=data.pop("institution").pk, now=now, **data
                )
                if upload is not None:
                    services.evidence_add(
                        application=app, actor=request.user, upload=upload, now=now
                    )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
            return render(request, self.template_name, {"form": form}, status=exc.status_code)
        messages.success(
            request,
            _g("Draft %(number)s saved. Check the list below, then submit.")
            % {"number": app.number},
        )
        return redirect("applications:application-detail", pk=app.pk)
