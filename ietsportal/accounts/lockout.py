from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _g


def lockout_response(request, original_response=None, credentials=None):
    """django-axes' answer to a locked-out login: JSON for the API, a page for people."""
    message = _g(
        "Too many failed logins: this account is locked for a while on this "
        "connection. Try again later, or reset your password."
    )
    headers = {"Retry-After": "900"}
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=429, headers=headers)
    response = render(request, "registration/locked_out.html", status=429)
    response["Retry-After"] = headers["Retry-After"]
    return response
