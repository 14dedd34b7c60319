from django.conf import settings
from django.core.checks import Error, Warning, register

HINT = (
    'Generate one with `python -c "from cryptography.fernet import Fernet; '
    'print(Fernet.generate_key().decode())"` and set PERSONAL_DATA_KEY.'
)


@register()
def personal_data_key_well_formed(app_configs, **kwargs):
    """R§10: assessors' ID numbers are encrypted; a configured key must be usable."""
    from .personal_data import key_problem

    problem = key_problem()
    return [Error(problem, hint=HINT, id="institutions.E001")] if problem else []


@register(deploy=True)
def personal_data_key_configured(app_configs, **kwargs):
    """Production encrypts ID numbers with its own key, not one derived from SECRET_KEY."""
    if getattr(settings, "PERSONAL_DATA_KEY", ""):
        return []
    return [
        Warning(
            "PERSONAL_DATA_KEY is not set: assessors' ID numbers are encrypted with a key "
            "derived from SECRET_KEY.",
            hint=HINT,
            id="institutions.W001",
        )
    ]
