from rest_framework import serializers

from ..models import Certificate


class PublicCertificateSerializer(serializers.ModelSerializer):
    """DESIGN.md public contract: what anyone may know of a certificate."""

    organization_name = serializers.CharField(source="organization.name")
    uscc = serializers.CharField(source="organization.uscc")
    institution = serializers.CharField(source="institution.name")
    status_display = serializers.CharField(source="get_status_display")

    class Meta:
        model = Certificate
        fields = [
            "number",
            "status",
            "status_display",
            "status_changed_at",
            "kind",
            "grade",
            "organization_name",
            "uscc",
            "institution",
            "issued_on",
            "expires_on",
            "version",
        ]
