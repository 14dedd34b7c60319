from rest_framework import serializers

from ..enums import CaseKind, SubjectKind
from ..models import Case, CaseEvidence, CaseNote


class CaseNoteSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.username", default=None, read_only=True)

    class Meta:
        model = CaseNote
        fields = ["id", "author", "internal", "text", "created_at"]


class CaseEvidenceSerializer(serializers.ModelSerializer):
    class Meta:
        model = CaseEvidence
        fields = ["id", "original_name", "content_type", "size", "sha256", "uploaded_at"]


class CaseSerializer(serializers.ModelSerializer):
    """A case as its filer and the center see it; internal notes only for the center."""

    subject = serializers.SerializerMethodField()
    notes = serializers.SerializerMethodField()
    evidence = CaseEvidenceSerializer(many=True, read_only=True)
    owner = serializers.CharField(source="owner.username", default=None, read_only=True)

    class Meta:
        model = Case
        fields = [
            "id",
            "number",
            "kind",
            "state",
            "subject_kind",
            "subject",
            "summary",
            "details",
            "received_at",
            "deadline",
            "owner",
            "decided_at",
            "reply",
            "actions",
            "notes",
            "evidence",
        ]

    def get_subject(self, case) -> str:
        subject = case.subject
        return {
            "application": lambda: subject.number,
            "certificate": lambda: subject.number,
            "institution": lambda: subject.name,
            "assessor": lambda: subject.registration_number,
        }[case.subject_kind]()

    def get_notes(self, case) -> list[dict]:
        user = self.context["request"].user
        notes = [n for n in case.notes.all() if user.is_center_staff or not n.internal]
        return CaseNoteSerializer(notes, many=True).data


class CaseListSerializer(serializers.ModelSerializer):
    class Meta:
        model = Case
        fields = [
            "id",
            "number",
            "kind",
            "state",
            "subject_kind",
            "summary",
            "received_at",
            "deadline",
        ]


class CaseInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=CaseKind.choices)
    subject_kind = serializers.ChoiceField(choices=SubjectKind.choices)
    reference = serializers.CharField(max_length=64)
    summary = serializers.CharField(max_length=200)
    details = serializers.CharField(max_length=5000)
    evidence = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        default=list,
        help_text="multipart/form-data only",
    )


class ReportInput(serializers.Serializer):
    subject_kind = serializers.ChoiceField(
        choices=SubjectKind.choices,
        help_text="certificate, institution or assessor (an application only with an account)",
    )
    reference = serializers.CharField(max_length=64)
    summary = serializers.CharField(max_length=200)
    details = serializers.CharField(max_length=5000)
    filer_name = serializers.CharField(max_length=100, required=False, default="", allow_blank=True)
    filer_contact = serializers.CharField(
        max_length=200, required=False, default="", allow_blank=True
    )
    evidence = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        default=list,
        help_text="multipart/form-data only",
    )


class ReportReceipt(serializers.Serializer):
    number = serializers.CharField()
    receipt_code = serializers.CharField(help_text="shown once; keep it to follow the report")
    deadline = serializers.DateField()


class ReceiptInput(serializers.Serializer):
    code = serializers.CharField(max_length=40)


class ReceiptCase(serializers.ModelSerializer):
    """What an anonymous reporter reads with the receipt code."""

    notes = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = [
            "number",
            "state",
            "summary",
            "received_at",
            "deadline",
            "decided_at",
            "reply",
            "notes",
        ]

    def get_notes(self, case) -> list[dict]:
        return [
            {"text": n.text, "created_at": n.created_at} for n in case.notes.all() if not n.internal
        ]


class CaseStartInput(serializers.Serializer):
    owner = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=1, max_value=2**31 - 1
    )


class CaseNoteInput(serializers.Serializer):
    text = serializers.CharField(max_length=5000)
    internal = serializers.BooleanField(required=False, default=False)


class CaseEvidenceInput(serializers.Serializer):
    file = serializers.FileField()


class CaseDecideInput(serializers.Serializer):
    upheld = serializers.BooleanField()
    reply = serializers.CharField(max_length=10000)
    actions = serializers.ListField(
        child=serializers.CharField(max_length=40), required=False, default=list
    )
