"""The fast path of the busiest request (issue #8): an anonymous lookup by number.

A visitor with no session asks for `/verify/<number>/` or `/api/v1/public/certificates/<number>/`
(no query string). This middleware, placed after the security, CSP and static-file layers,
passes the request through the lookup gate (limit, count and cached answer, in the process's
memory or in one round trip to Redis, certificates/lookups.py) and, when the answer is cached,
replays it: the body and every header the inner layers and the view gave it the first time
(`answer_recording`), with no session, user, CSRF, message or URL resolution work. The outer
layers add their headers as for any response; tests/certificates/test_lookup_cache.py checks
that a replay is byte for byte the response the whole stack gave.

Anything else goes down the whole stack: another path or method, a query string, a session or
message cookie (the page around the answer is then the visitor's own), an API client that does
not take JSON, a limited address (the view answers 429), a number with no cached answer. In the
last two cases the gate has already counted the request: the view reuses its result
(`lookup_gate`) rather than counting twice, and a response the view marks as the public answer
of this very number (`response.public_answer`) is recorded on the way out.
"""

import re

from django.conf import settings
from django.utils import translation

from .lookups import (
    GATED,
    anonymous_without_messages,
    answer_recording,
    answer_replay,
    answer_store,
    lookup_gate,
)

PAGE = re.compile(r"/verify/([A-Za-z0-9\-]{1,32})/\Z")
API = re.compile(r"/api/v1/public/certificates/([A-Za-z0-9\-]{1,32})/\Z")
# What DRF answers with its JSON renderer (the first): no Accept header, anything, or JSON.
JSON_ACCEPTS = frozenset({"", "*/*", "application/json"})


def fast_path_variant(request) -> tuple[str, str, str] | None:
    """(number, channel, answer variant) of a request the fast path may answer, else None."""
    if request.method != "GET" or request.META.get("QUERY_STRING"):
        return None
    if settings.DISALLOWED_USER_AGENTS or settings.PREPEND_WWW:  # CommonMiddleware's own checks
        return None
    path = request.path_info
    if match := PAGE.match(path):
        if not anonymous_without_messages(request):
            return None
        channel, kind = "html", "page"
    elif match := API.match(path):
        if request.META.get("HTTP_ACCEPT", "").strip() not in JSON_ACCEPTS:
            return None
        channel, kind = "api", "api"
    else:
        return None
    # what LocaleMiddleware picks for a path without a language prefix: cookie, then header
    language = translation.get_language_from_request(request)
    return match[1], channel, f"{kind}-{language}"


class PublicAnswerMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        plan = fast_path_variant(request)
        if plan is None:
            return self.get_response(request)
        request.get_host()  # ALLOWED_HOSTS, as CommonMiddleware would check it (400 otherwise)
        number, channel, variant = plan
        allowed, recorded = lookup_gate(
            request, scope="lookup", channel=channel, number=number, variant=variant
        )
        if allowed and recorded is not None:
            return answer_replay(recorded)
        setattr(request, GATED, (allowed, number))
        response = self.get_response(request)
        if (
            allowed
            and response.status_code == 200
            and getattr(response, "public_answer", None) == number
            and not response.cookies
            and not response.streaming
        ):
            answer_store(number, variant, answer_recording(response))
        return response
