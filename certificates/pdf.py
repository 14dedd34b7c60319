"""Certificate PDFs (M§18) with WeasyPrint and a CJK font.

The renderer can reach neither files nor the network: its URL fetcher accepts `data:` URIs
only (the QR code is one), and the HTML has no other resource. One FontConfiguration serves
the whole process, so memory stays flat over many renders.
"""

from functools import cache

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from .signing import certificate_facts, sign_facts

GRADE_NAMES = {
    "IETS-4": "四级",
    "IETS-3": "三级",
    "IETS-2": "二级",
    "IETS-1": "一级",
    "IETS-E": "卓越级",
}
KIND_NAMES = {
    "grade": ("信息化工程与技术服务能力评价", "IT Engineering and Technical Service Capability"),
    "innovation": (
        "新一代信息技术应用与创新能力评价",
        "New-generation IT Application and Innovation Capability",
    ),
}
EDITION_MARKS = {"original": "", "changed": "换发", "reissued": "补发"}


@cache
def _font_config():
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


@cache
def _fetcher():
    from weasyprint import URLFetcher

    return URLFetcher(allowed_protocols={"data"}, fail_on_errors=False, timeout=1)


def verification_url(certificate, token: str) -> str:
    from django.urls import reverse
    from django.utils.http import urlencode

    path = reverse("verify-detail", args=[certificate.number])
    return f"{settings.SITE_URL}{path}?{urlencode({'t': token})}"


def certificate_html(certificate) -> str:
    """The certificate as HTML for WeasyPrint: Chinese first, with English beneath."""
    token = sign_facts(certificate_facts(certificate))
    url = verification_url(certificate, token)
    qr = segno.make(url, error="m").svg_data_uri(scale=4, border=0, dark="#1b1f24")
    kind_zh, kind_en = KIND_NAMES[certificate.kind]
    with translation.override("zh-hans"):
        return render_to_string(
            "certificates/pdf.html",
            {
                "c": certificate,
                "org": certificate.organization,
                "kind_zh": kind_zh,
                "kind_en": kind_en,
                "grade_zh": GRADE_NAMES.get(certificate.grade, ""),
                "edition_mark": EDITION_MARKS.get(certificate.edition, ""),
                "qr": qr,
                "url": url,
                "token": token,
                "site": settings.SITE_URL,
            },
        )


def render_pdf(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html, url_fetcher=_fetcher(), base_url="data:,").write_pdf(
        font_config=_font_config()
    )


def certificate_pdf(certificate) -> bytes:
    return render_pdf(certificate_html(certificate))
