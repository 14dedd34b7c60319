"""The one base viewset: every tenant-owned model is read through its `for_user` queryset, so a
missing scope is impossible rather than forgotten; outside it, DRF answers 404."""

from rest_framework import viewsets


class TenantScopedViewSet(viewsets.GenericViewSet):
    model = None

    def get_queryset(self):
        return self.model.objects.for_user(self.request.user)
