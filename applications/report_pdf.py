"""The evaluation report as a PDF (M§14(2)): the criteria with their scores and comments, the
area scores, total and grade, the on-site findings and the team. Rendered with the
certificates' WeasyPrint setup (`certificates.pdf.render_pdf`: `data:` URIs only, one
FontConfiguration per process) and `lang="zh-CN"`."""

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from certificates.pdf import GRADE_NAMES, KIND_NAMES, render_pdf

from .enums import CapabilityArea

AREA_NAMES = {
    "basic": ("基本能力", "Basic capability"),
    "technical": ("技术能力", "Technical capability"),
    "service": ("服务能力", "Service capability"),
    "operational": ("运营能力", "Operational capability"),
}


def report_html(application, *, now) -> str:
    scores = [
        s
        for s in application.criterion_scores.select_related("criterion", "scored_by")
        if s.review_id is None
    ]
    areas = []
    for area in CapabilityArea:
        rows = [s for s in scores if s.criterion.area == area.value]
        if rows:
            zh, en = AREA_NAMES[area.value]
            field = {
                "basic": application.score_basic,
                "technical": application.score_technical,
                "service": application.score_service,
                "operational": application.score_operational,
            }[area.value]
            areas.append({"zh": zh, "en": en, "rows": rows, "score": field})
    kind_zh, kind_en = KIND_NAMES[application.kind]
    team = list(application.assessors.order_by("username"))
    with translation.override("zh-hans"):
        return render_to_string(
            "applications/report_pdf.html",
            {
                "a": application,
                "org": application.organization,
                "kind_zh": kind_zh,
                "kind_en": kind_en,
                "areas": areas,
                "team": team,
                "grade_zh": GRADE_NAMES.get(application.recommended_grade, ""),
                "final_grade_zh": GRADE_NAMES.get(application.final_grade, ""),
                "now": now,
                "site": settings.SITE_URL,
            },
        )


def report_pdf(application, *, now) -> bytes:
    return render_pdf(report_html(application, now=now))
