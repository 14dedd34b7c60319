from rest_framework import serializers

from ..enums import DecisionKind, DecisionReason, RequestKind
from ..models import (
    AnnualReview,
    Certificate,
    CertificateDecision,
    CertificateRequest,
    Reconsideration,
)


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


class ReconsiderationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Reconsideration
        fields = [
            "id",
            "state",
            "grounds",
            "filed_at",
            "forwarded_at",
            "forward_note",
            "decided_at",
            "reply",
        ]


class DecisionSerializer(serializers.ModelSerializer):
    reconsiderations = ReconsiderationSerializer(many=True, read_only=True)

    class Meta:
        model = CertificateDecision
        fields = [
            "id",
            "kind",
            "reason",
            "explanation",
            "decided_at",
            "relayed_at",
            "reconsiderations",
        ]


class AnnualReviewSerializer(serializers.ModelSerializer):
    class Meta:
        model = AnnualReview
        fields = [
            "id",
            "year",
            "due_on",
            "deadline",
            "state",
            "materials",
            "submitted_at",
            "decided_at",
            "decision_note",
        ]


class CertificateRequestSerializer(serializers.ModelSerializer):
    class Meta:
        model = CertificateRequest
        fields = [
            "id",
            "kind",
            "changed_on",
            "details",
            "new_name",
            "late",
            "state",
            "filed_at",
            "verified_at",
            "verification_note",
            "decided_at",
            "decision_note",
            "resulting_version",
        ]


class CertificateDetailSerializer(PublicCertificateSerializer):
    decisions = DecisionSerializer(many=True, read_only=True)
    annual_reviews = AnnualReviewSerializer(many=True, read_only=True)
    requests = CertificateRequestSerializer(many=True, read_only=True)

    class Meta(PublicCertificateSerializer.Meta):
        fields = [
            *PublicCertificateSerializer.Meta.fields,
            "edition",
            "decisions",
            "annual_reviews",
            "requests",
        ]


class DecisionInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=DecisionKind.choices)
    grounds = serializers.ChoiceField(choices=DecisionReason.choices)
    explanation = serializers.CharField(max_length=5000)
    evidence = serializers.FileField(
        required=False, allow_null=True, default=None, help_text="multipart/form-data only"
    )


class MaterialsInput(serializers.Serializer):
    materials = serializers.CharField(max_length=10000)


class DecideInput(serializers.Serializer):
    approve = serializers.BooleanField()
    note = serializers.CharField(max_length=5000)


class RequestInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=RequestKind.choices)
    details = serializers.CharField(max_length=5000)
    changed_on = serializers.DateField(required=False, allow_null=True, default=None)
    new_name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class GroundsInput(serializers.Serializer):
    grounds = serializers.CharField(max_length=5000)


class NoteInput(serializers.Serializer):
    note = serializers.CharField(max_length=5000)


class ReconsiderationDecideInput(serializers.Serializer):
    upheld = serializers.BooleanField()
    reply = serializers.CharField(max_length=5000)
