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


def _readable(params: dict) -> dict:
    """Stored values (transition and state names) shown as labels in the reader's language."""
    from applications.enums import ApplicationState
    from applications.workflow import STEPS

    readable = dict(params)
    if params.get("transition") in STEPS:
        readable["transition"] = str(STEPS[params["transition"]].label)
    if params.get("state") in ApplicationState.values:
        readable["state"] = str(ApplicationState(params["state"]).label)
    return readable


def render_message(key: str, params: dict) -> str:
    template = MESSAGES.get(key)
    if template is None:
        return key
    try:
        return str(template) % _readable(params)
    except (KeyError, TypeError, ValueError):
        return str(template)
