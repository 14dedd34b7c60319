from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class SelfEvaluationState(models.TextChoices):
    """M§5: a self-evaluation run is edited as a draft, completed, and may be withdrawn."""

    DRAFT = "draft", pgettext_lazy("self-evaluation state", "Draft")
    COMPLETED = "completed", pgettext_lazy("self-evaluation state", "Completed")
    WITHDRAWN = "withdrawn", pgettext_lazy("self-evaluation state", "Withdrawn")


class ProjectState(models.TextChoices):
    OPEN = "open", pgettext_lazy("selection state", "Open")
    DECIDED = "decided", pgettext_lazy("selection state", "Decided")


class CandidateState(models.TextChoices):
    INVITED = "invited", pgettext_lazy("candidate state", "Invited")
    ACCEPTED = "accepted", pgettext_lazy("candidate state", "Accepted")
    DECLINED = "declined", pgettext_lazy("candidate state", "Declined")


class Sharing(models.TextChoices):
    """What a candidate shows the buyer: its certificate (public anyway), or a completed
    self-evaluation too."""

    CERTIFICATE = "certificate", _("Certificate only")
    SELF_EVALUATION = "self_evaluation", _("Certificate and a completed self-evaluation")
