from rest_framework import mixins, serializers
from rest_framework.permissions import AllowAny
from rest_framework.viewsets import GenericViewSet

from .models import Institution


class InstitutionSerializer(serializers.ModelSerializer):
    region_name = serializers.CharField(read_only=True)

    class Meta:
        model = Institution
        fields = ["id", "name", "level", "region", "region_name", "state"]


class InstitutionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, GenericViewSet):
    """R§13–14: the public directory of approved institutions. An applicant sees which may
    take it with `?available=1`."""

    permission_classes = [AllowAny]
    serializer_class = InstitutionSerializer

    def get_queryset(self):
        user = self.request.user
        if self.request.query_params.get("available") and getattr(user, "is_applicant", False):
            return Institution.objects.available_to(user.organization)
        return Institution.objects.filter(state__in=["approved", "suspended"])
