"""Request-level guards against hostile input (issue 9).

`NulInQueryMiddleware`: a NUL character in the query string (`?q=%00`) reaches no view.
Forms and serializers already refuse NUL in submitted fields, but query parameters go straight
into filters, and PostgreSQL refuses NUL in text ("cannot contain NUL (0x00) bytes") — a 500
instead of an answer. Refused here with 400 and a message, once for every view.
"""

from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _g


class NulInQueryMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if any("\x00" in key or "\x00" in value for key, value in request.GET.items()):
            message = _g("The address contains a NUL character; remove it and try again.")
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message}, status=400)
            html = render_to_string(
                "error.html", {"status": 400, "message": message}, request=request
            )
            return HttpResponse(html, status=400)
        return self.get_response(request)
