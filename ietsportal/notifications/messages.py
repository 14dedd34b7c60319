"""What each notification says, keyed by event; rendered in the reader's language when shown."""

from django.utils.translation import gettext_lazy as _

MESSAGES = {
    "application.transition": _("Application %(number)s: %(transition)s. It is now “%(state)s”."),
    "application.assigned": _("You have been assigned to application %(number)s."),
    "application.expert_assigned": _(
        "The evaluation center asks for your expert review of application %(number)s."
    ),
    "application.objection": _("An objection was filed against publicity entry %(number)s."),
    "certificate.issued": _("Certificate %(certificate)s has been issued for %(number)s."),
}


def render_message(key: str, params: dict) -> str:
    template = MESSAGES.get(key)
    if template is None:
        return key
    try:
        return str(template) % params
    except (KeyError, TypeError, ValueError):
        return str(template)
