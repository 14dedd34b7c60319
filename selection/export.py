"""The buyer's comparison as CSV (cells neutralised against formula injection) and PDF
(WeasyPrint through certificates.pdf: data:-only URL fetcher, one FontConfiguration)."""

import csv
import io

from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from applications.enums import CapabilityArea
from ietsportal.csvsafe import neutralise


def comparison_csv(project, rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    areas = list(CapabilityArea)
    writer.writerow(
        [
            _("Rank"),
            _("Ranked by"),
            _("Candidate"),
            _("Unified social credit code"),
            _("Answer"),
            _("Shares"),
            _("Certificate"),
            _("Certificate status"),
            _("Grade"),
            _("Innovation certificate"),
            *(area.label for area in areas),
            _("Self-evaluation total"),
            _("Weighted score"),
            _("Requirements met"),
        ]
    )
    for row in rows:
        shared = row.areas
        writer.writerow(
            neutralise(cell)
            for cell in [
                row.rank or "",
                ranked_by_label(row.ranked_by),
                row.candidate.organization.name,
                row.candidate.organization.uscc,
                row.candidate.get_state_display(),
                row.candidate.get_sharing_display() if row.candidate.sharing else "",
                row.certificate.number if row.certificate else "",
                row.status_label,
                row.grade,
                row.innovation.number if row.innovation else "",
                *(shared.get(area.value, "") for area in areas),
                row.shared.total if row.shared else "",
                row.weighted if row.weighted is not None else "",
                "; ".join(
                    f"{label}: {_('yes') if met else _('no')}" for label, met in row.requirements
                ),
            ]
        )
    if project.chosen_id:
        writer.writerow([])
        writer.writerow(
            neutralise(cell)
            for cell in [
                _("Decision"),
                project.chosen.organization.name,
                project.decision_reason,
            ]
        )
    return out.getvalue()


def ranked_by_label(key: str) -> str:
    return {
        "scores": _("weighted shared scores"),
        "certificate": _("certificate only"),
    }.get(key, "")


def comparison_pdf(project, rows, *, today) -> bytes:
    from certificates.pdf import render_pdf

    html = render_to_string(
        "selection/pdf.html",
        {"project": project, "rows": rows, "areas": list(CapabilityArea), "today": today},
    )
    return render_pdf(html)
