"""Notification texts of institutions, assessors and experts, merged into the portal's
`MESSAGES` when the app is ready (rendered in the reader's language)."""

from django.utils.translation import gettext_lazy as _

MESSAGES = {
    "institution.designation_filed": _(
        "%(organization)s applied to become an evaluation institution (%(name)s); review the "
        "material (R§13)."
    ),
    "institution.designation_expert": _(
        "The evaluation center asks for your opinion on the designation of %(name)s (R§13)."
    ),
    "institution.designation_opinions_in": _(
        "Every expert has given an opinion on the designation of %(name)s; decide (R§13)."
    ),
    "institution.designation_approved": _(
        "%(name)s is approved as an evaluation institution and published in the directory "
        "(R§13). You now administer it."
    ),
    "institution.designation_refused": _("The designation of %(name)s was refused: %(reason)s"),
    "institution.staffing_short": _(
        "%(name)s is below the staffing requirement (R§8): %(assessors)s of %(min_assessors)s "
        "registered assessors, %(full_time)s of %(min_full_time)s full-time. It cannot accept "
        "new applications until it recovers."
    ),
    "institution.staffing_recovered": _(
        "%(name)s meets the staffing requirement again (R§8) and may accept applications."
    ),
    "institution.suspended": _("The evaluation center suspended %(name)s (R§16): %(reason)s"),
    "institution.reinstated": _("The evaluation center reinstated %(name)s (R§16)."),
    "institution.stopped": _("The evaluation center stopped %(name)s (R§16): %(reason)s"),
    "assessor.nominated": _(
        "%(institution)s nominated %(name)s as an assessor; verify and register them (R§14)."
    ),
    "assessor.registered": _(
        "%(name)s of %(institution)s is registered as assessor %(number)s (R§14)."
    ),
    "assessor.refused": _(
        "The nomination of %(name)s at %(institution)s was not registered: %(reason)s"
    ),
    "assessor.suspended": _("Assessor %(name)s of %(institution)s is suspended (R§16): %(reason)s"),
    "assessor.reinstated": _("Assessor %(name)s of %(institution)s is reinstated (R§16)."),
    "assessor.removed": _("Assessor %(name)s no longer works for %(institution)s: %(reason)s"),
    "assessor.participation_warning": _(
        "Assessor %(name)s of %(institution)s has taken part in %(count)s evaluations in "
        "%(year)s; at least %(minimum)s a year are required (R§12)."
    ),
    "assessor.participation_short": _(
        "Assessor %(name)s of %(institution)s took part in only %(count)s evaluations in "
        "%(year)s, fewer than the %(minimum)s required (R§12)."
    ),
}
