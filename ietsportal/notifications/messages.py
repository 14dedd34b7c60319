"""What each notification says, keyed by event; rendered in the reader's language when shown."""

import re
import threading

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _

MESSAGES = {
    "application.transition": _("Application %(number)s: %(transition)s. It is now “%(state)s”."),
    "application.assigned": _("You have been assigned to application %(number)s."),
    "application.expert_assigned": _(
        "The evaluation center asks for your expert review of application %(number)s."
    ),
    "application.objection": _("An objection was filed against publicity entry %(number)s."),
    "application.publicity_published": _(
        "Application %(number)s is published in %(batch)s; objections may be filed until "
        "%(ends_at)s."
    ),
    "application.expert_conflict": _(
        "Application %(number)s: expert %(expert)s declared a conflict of interest; "
        "replacement: %(replacement)s."
    ),
    "application.material_overdue": _(
        "Application %(number)s: the additional material requested was due on %(deadline)s "
        "and has not been submitted."
    ),
    "certificate.issued": _("Certificate %(certificate)s has been issued for %(number)s."),
    "certificate.decision_to_relay": _(
        "The evaluation center decided on certificate %(certificate)s: %(decision)s. Relay the "
        "notice to the holder (M§20)."
    ),
    "certificate.decision": _(
        "Certificate %(certificate)s: %(decision)s. You may ask for reconsideration through "
        "the evaluation institution (M§20)."
    ),
    "certificate.annual_review_due": _(
        "The annual review of certificate %(certificate)s is due on %(due_on)s; submit the "
        "annual materials by %(deadline)s (M§15)."
    ),
    "certificate.annual_review_decided": _(
        "The annual review of certificate %(certificate)s: %(result)s."
    ),
    "certificate.reevaluation_open": _(
        "Certificate %(certificate)s expires on %(expires_on)s: you may now apply for "
        "re-evaluation (M§16)."
    ),
    "certificate.reevaluation_closing": _(
        "Certificate %(certificate)s expires on %(expires_on)s and no re-evaluation has been "
        "filed yet (M§16–17)."
    ),
    "certificate.reconsideration": _(
        "Certificate %(certificate)s: the reconsideration request is now “%(state)s”."
    ),
    "certificate.request": _(
        "Certificate %(certificate)s: request “%(request)s” is now “%(state)s”."
    ),
    # supervision (M§23–26)
    "selection.invited": _(
        "%(buyer)s invites your organisation as a candidate supplier in “%(project)s” (M§5)."
    ),
    "selection.answered": _("%(candidate)s answered your invitation to “%(project)s”."),
    "case.received": _("A new case %(case)s was received (M§23)."),
    "case.filed": _("Your case %(case)s was received; the center replies by %(deadline)s."),
    "case.started": _("Case %(case)s is being investigated by the evaluation center."),
    "case.assigned": _("You own case %(case)s; the reply is due by %(deadline)s."),
    "case.message": _("Case %(case)s has a new message."),
    "case.upheld": _("Case %(case)s was decided: upheld. Read the reply."),
    "case.dismissed": _("Case %(case)s was decided: dismissed. Read the reply."),
    "case.overdue": _("Case %(case)s is past its deadline (%(deadline)s): reply to the filer."),
    "export.done": _("Your export %(name)s is ready to download."),
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
    from certificates.enums import AnnualReviewState, DecisionKind, RequestKind, RequestState

    for name, enum in (
        ("decision", DecisionKind),
        ("result", AnnualReviewState),
        ("request", RequestKind),
    ):
        if params.get(name) in enum.values:
            readable[name] = str(enum(params[name]).label)
    from certificates.enums import ReconsiderationState

    if params.get("state") in ReconsiderationState.values and "request" not in params:
        readable["state"] = str(ReconsiderationState(params["state"]).label)
    if params.get("request") and params.get("state") in RequestState.values:
        readable["state"] = str(RequestState(params["state"]).label)
    return readable


PLACEHOLDER = re.compile(r"%\((\w+)\)s")
_texts = threading.local()


def texts_forget(**kwargs) -> None:
    """Drop this thread's copy of the center's texts: at each request (signal), before each
    e-mail run, and after a text is saved or reset."""
    _texts.data = None


def _overrides() -> dict:
    """The center's texts, {(key, language): text}: one query per request, whatever the number
    of notifications shown."""
    data = getattr(_texts, "data", None)
    if data is None:
        from .models import NotificationText

        data = {
            (key, language): text
            for key, language, text in NotificationText.objects.values_list(
                "key", "language", "text"
            )
        }
        _texts.data = data
    return data


def reader_language() -> str:
    """The active language as one of settings.LANGUAGES (zh-hans when none matches)."""
    codes = [code for code, _name in settings.LANGUAGES]
    active = (translation.get_language() or settings.LANGUAGE_CODE).lower()
    for code in codes:
        if active == code or active.split("-")[0] == code.split("-")[0]:
            return code
    return settings.LANGUAGE_CODE


def default_text(key: str, language: str) -> str:
    with translation.override(language):
        return str(MESSAGES[key])


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def render_message(key: str, params: dict) -> str:
    """The text in the reader's language: the center's wording when it set one, else the
    default; placeholders filled with readable values."""
    template = MESSAGES.get(key)
    if template is None:
        return key
    template = _overrides().get((key, reader_language())) or str(template)
    try:
        return template % _readable(params)
    except (KeyError, TypeError, ValueError):
        return template
