"""Open data (M§14(5)): the register of valid certificates as a machine-readable feed, JSON
or CSV, streamed row by row (constant memory). Fields are documented in docs/api.md."""

import json

from django.http import Http404, StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from certificates.enums import CertificateStatus
from certificates.models import Certificate
from ietsportal.api import PublicThrottle

from ..exports import csv_lines

CERTIFICATE_FIELDS = (
    ("number", "number"),
    ("status", "status"),
    ("kind", "kind"),
    ("grade", "grade"),
    ("organization_name", "organization__name"),
    ("uscc", "organization__uscc"),
    ("region", "organization__region"),
    ("institution", "institution__name"),
    ("institution_uscc", "institution__uscc"),
    ("issued_on", "issued_on"),
    ("expires_on", "expires_on"),
    ("version", "version"),
)


def _rows():
    paths = [path for _name, path in CERTIFICATE_FIELDS]
    qs = (
        Certificate.objects.filter(status=CertificateStatus.VALID)
        .order_by("number")
        .values_list(*paths)
    )
    for values in qs.iterator(chunk_size=2000):
        yield [v.isoformat() if hasattr(v, "isoformat") else v for v in values]


def _json_stream(now):
    names = [name for name, _path in CERTIFICATE_FIELDS]
    head = json.dumps({"generated_at": now.isoformat(), "fields": names})
    yield head[:-1] + ', "certificates": ['
    first = True
    for row in _rows():
        yield (
            ("" if first else ",")
            + "\n"
            + json.dumps(dict(zip(names, row, strict=True)), ensure_ascii=False)
        )
        first = False
    yield "\n]}\n"


class OpenDataCertificatesView(APIView):
    """Valid certificates, for anyone to reuse (JSON or CSV)."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [PublicThrottle]

    @extend_schema(
        parameters=[
            OpenApiParameter("fmt", str, OpenApiParameter.PATH, enum=["json", "csv"]),
        ],
        responses={
            (200, "application/json"): OpenApiTypes.OBJECT,
            (200, "text/csv"): OpenApiTypes.STR,
        },
    )
    def get(self, request, fmt):
        now = timezone.now()
        if fmt == "json":
            response = StreamingHttpResponse(
                _json_stream(now), content_type="application/json; charset=utf-8"
            )
        elif fmt == "csv":
            header = [name for name, _path in CERTIFICATE_FIELDS]
            response = StreamingHttpResponse(
                csv_lines(header, _rows()), content_type="text/csv; charset=utf-8"
            )
            response["Content-Disposition"] = 'inline; filename="certificates.csv"'
        else:
            raise Http404
        response["Cache-Control"] = "public, max-age=900"
        response["Access-Control-Allow-Origin"] = "*"
        return response
