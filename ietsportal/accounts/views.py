from django.contrib import messages
from django.contrib.auth import login
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _g
from django.views import View

from ietsportal.errors import DomainError

from .forms import RegistrationForm
from .services import organization_register


class RegisterView(View):
    """An organisation signs up with its USCC and its first applicant account."""

    template_name = "registration/register.html"

    def get(self, request):
        return render(request, self.template_name, {"form": RegistrationForm()})

    def post(self, request):
        form = RegistrationForm(request.POST)
        if not form.is_valid():
            return render(request, self.template_name, {"form": form}, status=400)
        data = {k: v for k, v in form.cleaned_data.items() if k != "password_again"}
        try:
            user = organization_register(now=timezone.now(), **data)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
            return render(request, self.template_name, {"form": form}, status=exc.status_code)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(
            request,
            _g("Welcome! %(org)s is registered. Start an application when you are ready.")
            % {"org": user.organization.name},
        )
        return redirect("workspace")
