"""M§14(2): the evaluation report as a PDF — criteria, scores, comments, areas, total, grade,
on-site findings and team — for those who may see the application; 404 for anyone else."""

import pypdfium2 as pdfium
from django.test import Client

from applications.enums import ApplicationState as S
from applications.report_pdf import report_html, report_pdf

from ..conftest import T0
from ..helpers import report


def pdf_text(data: bytes) -> str:
    return "\n".join(page.get_textpage().get_text_range() for page in pdfium.PdfDocument(data))


def test_the_report_pdf_has_criteria_scores_comments_results_and_team(flow, world):
    app = flow.to(flow.draft(), S.ONSITE_REVIEW)
    flow.fire(
        app,
        "file_report",
        world.assessors[0],
        **report(
            scores={**report()["scores"], "T1": "9"},
            onsite_findings="研发中心运行有效。",
        ),
    )
    app.refresh_from_db()

    html = report_html(app, now=T0)
    text = pdf_text(report_pdf(app, now=T0))

    assert '<html lang="zh-CN">' in html
    for expected in (
        "EVALUATION REPORT",
        app.number,
        "北京甲科技有限公司",
        "T1",
        "9 / 10",
        "T1 材料充分。",
        "79.80",  # technical: (8×0.9 + 17×0.75) / 25
        "76.20",  # total
        "IETS-3",
        "研发中心运行有效。",
        "a-assessor1（组长）",
        "样例",  # the sample rubric is labelled
    ):
        assert expected in text, expected


def test_the_report_pdf_is_downloadable_in_scope_and_refused_before_the_report(flow, world):
    app = flow.to(flow.draft(), S.REPORTED)
    client = Client()
    client.force_login(world.applicant)

    response = client.get(f"/applications/{app.pk}/report.pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{app.number}-report.pdf"'
    assert response.content.startswith(b"%PDF-")
    early = flow.to(flow.draft(), S.ONSITE_REVIEW)
    assert client.get(f"/applications/{early.pk}/report.pdf").status_code == 409
    outsider = Client()
    outsider.force_login(world.other_applicant)
    assert outsider.get(f"/applications/{app.pk}/report.pdf").status_code == 404
