"""`makemessages` that also extracts `_g(...)`, the project's alias for eager `gettext`.

Services and views import `gettext as _g` (next to `gettext_lazy as _`); xgettext knows only
the standard names, so without this keyword their messages would never reach the catalogs."""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    xgettext_options = [*makemessages.Command.xgettext_options, "--keyword=_g"]
