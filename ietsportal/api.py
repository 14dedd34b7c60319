"""The one base viewset: every tenant-owned model is read through its `for_user` queryset, so a
missing scope is impossible rather than forgotten; outside it, DRF answers 404."""

from rest_framework import viewsets
from rest_framework.throttling import BaseThrottle


class TenantScopedViewSet(viewsets.GenericViewSet):
    model = None

    def get_queryset(self):
        return self.model.objects.for_user(self.request.user)


class PublicThrottle(BaseThrottle):
    """The public endpoints' limit: PUBLIC_LOOKUP_RATE per client address for anonymous
    callers, counted in one Redis round trip by certificates/lookups.py `lookup_gate` (the same
    address rules as the pages' limits)."""

    scope = "public"

    def allow_request(self, request, view):
        from certificates.lookups import lookup_gate

        if request.user and request.user.is_authenticated:
            return True
        allowed, _answer = lookup_gate(request, scope=self.scope)
        return allowed

    def wait(self):
        from certificates.lookups import lookup_rate

        return lookup_rate()[1]
