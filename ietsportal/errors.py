"""Domain errors: services raise them with a message for the user; views and the API turn them
into 400, 403, 404, 409, 413 or 415. Never a 500 for something the user did."""

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler


class DomainError(Exception):
    status_code = 400
    default_message = _("The request could not be processed.")

    def __init__(self, message=None, *, field: str | None = None):
        self.message = message if message is not None else self.default_message
        self.field = field
        super().__init__(str(self.message))


class InvalidInput(DomainError):
    status_code = 400


def text_value(value, *, field: str, label, required: bool = True, max_length: int = 5000) -> str:
    """A text a service takes from its caller: stripped; None is empty; anything but text, a
    text with a NUL character (PostgreSQL cannot store it), an empty required text or one past
    `max_length` is refused with a message naming `label`."""
    from django.utils.translation import gettext as _g

    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(_g("%(field)s must be text.") % {"field": label}, field=field)
    if "\x00" in value:
        raise InvalidInput(_g("The text contains a NUL character."), field=field)
    value = value.strip()
    if required and not value:
        raise InvalidInput(_g("%(field)s is required.") % {"field": label}, field=field)
    if len(value) > max_length:
        raise InvalidInput(
            _g("%(field)s is longer than %(max)d characters.")
            % {"field": label, "max": max_length},
            field=field,
        )
    return value


class NotPermitted(DomainError):
    status_code = 403
    default_message = _("You are not allowed to do this.")


class NotFound(DomainError):
    status_code = 404
    default_message = _("Not found.")


class Conflict(DomainError):
    status_code = 409
    default_message = _("This is not possible in the current state.")


class TooLarge(DomainError):
    status_code = 413


class UnsupportedType(DomainError):
    status_code = 415


def api_exception_handler(exc, context):
    if isinstance(exc, DomainError):
        body = {"detail": str(exc.message)}
        if exc.field:
            body["field"] = exc.field
        return Response(body, status=exc.status_code)
    if isinstance(exc, RecursionError):
        # json.load on `[[[[…` ten thousand deep: the client's fault, not a 500 (issue 9).
        return Response(
            {"detail": str(_("The request body is nested too deeply to be read."))}, status=400
        )
    return exception_handler(exc, context)


class DomainErrorMiddleware:
    """A domain error that escapes an HTML view becomes an error page with its own status."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DomainError) and not request.path.startswith("/api/"):
            html = render_to_string(
                "error.html",
                {"status": exception.status_code, "message": exception.message},
                request=request,
            )
            return HttpResponse(html, status=exception.status_code)
        return None


__all__ = [
    "Conflict",
    "DomainError",
    "InvalidInput",
    "NotFound",
    "NotPermitted",
    "TooLarge",
    "UnsupportedType",
    "status",
]
