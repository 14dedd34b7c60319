"""TOTP two-factor authentication (django-otp) for the staff of the center and institutions.

A user who has confirmed an authenticator must enter its code after the password; with
TWO_FACTOR_REQUIRED_FOR_STAFF on, center staff, institution admins and assessors must set one
up before anything else. The token endpoint of the API then asks for the code too (`otp`).
"""

import segno
from django import forms
from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _
from django.views import View
from django_otp import login as otp_login
from django_otp import match_token, user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from .enums import Role

STAFF_ROLES = {Role.CENTER_STAFF, Role.INSTITUTION_ADMIN, Role.ASSESSOR}
OPEN_PREFIXES = ("/accounts/two-factor/", "/accounts/logout/", "/static/", "/i18n/", "/favicon.ico")


def second_factor_required(user) -> bool:
    """Whether this user must pass a second factor to use the portal."""
    if not user.is_authenticated:
        return False
    required = getattr(settings, "TWO_FACTOR_REQUIRED_FOR_STAFF", False)
    return (required and user.role in STAFF_ROLES) or user_has_device(user, confirmed=True)


class StaffTwoFactorMiddleware:
    """After django-otp's OTPMiddleware: send an unverified user to set up or enter a code."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and not request.path.startswith(OPEN_PREFIXES)
            and not user.is_verified()
            and second_factor_required(user)
        ):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"detail": _g("Two-factor authentication is required.")}, status=403
                )
            target = (
                "two-factor-verify" if user_has_device(user, confirmed=True) else "two-factor-setup"
            )
            return redirect(f"{reverse(target)}?next={request.get_full_path()}")
        return self.get_response(request)


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Six-digit code from your authenticator app"),
        min_length=6,
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


def _next(request):
    target = request.GET.get("next") or request.POST.get("next") or reverse("workspace")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("workspace")
    return target


class TwoFactorSetupView(LoginRequiredMixin, View):
    template_name = "registration/two_factor_setup.html"

    def _device(self, user):
        device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
        return device or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)

    def _render(self, request, form, status=200):
        device = self._device(request.user)
        qr = segno.make(device.config_url, error="m").svg_data_uri(scale=4)
        return render(
            request,
            self.template_name,
            {
                "form": form,
                "qr": qr,
                "next": _next(request),
                "has_device": user_has_device(request.user, confirmed=True),
            },
            status=status,
        )

    def get(self, request):
        return self._render(request, CodeForm())

    def post(self, request):
        form = CodeForm(request.POST)
        device = self._device(request.user)
        if form.is_valid() and device.verify_token(form.cleaned_data["code"].strip()):
            TOTPDevice.objects.filter(user=request.user).exclude(pk=device.pk).delete()
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            from django.contrib import messages

            messages.success(request, _g("Two-factor authentication is on."))
            return redirect(_next(request))
        form.add_error(
            "code",
            _g("That code is not right. Check the clock of your phone and try the current code."),
        )
        return self._render(request, form, status=400)


class TwoFactorVerifyView(LoginRequiredMixin, View):
    template_name = "registration/two_factor_verify.html"

    def get(self, request):
        return render(request, self.template_name, {"form": CodeForm(), "next": _next(request)})

    def post(self, request):
        form = CodeForm(request.POST)
        device = form.is_valid() and match_token(request.user, form.cleaned_data["code"].strip())
        if device:
            otp_login(request, device)
            return redirect(_next(request))
        form.add_error(
            "code",
            _g("That code is not right. Check the clock of your phone and try the current code."),
        )
        return render(
            request, self.template_name, {"form": form, "next": _next(request)}, status=400
        )
