from datetime import datetime

from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _g
from stdnum.cn import uscc as uscc_check

from ietsportal.audit.services import audit_record
from ietsportal.errors import Conflict, InvalidInput

from .enums import OrganizationType, Role
from .models import Organization
from .regions import region_of_uscc


def organization_register(
    *,
    name: str,
    uscc: str,
    org_type: str,
    address: str = "",
    username: str,
    password: str,
    email: str = "",
    display_name: str = "",
    now: datetime,
):
    """An organisation registers itself and its first applicant account (M§4, M§13(1))."""
    name, address = (name or "").strip(), (address or "").strip()
    uscc = uscc_check.compact(uscc or "").upper() if uscc else ""
    if not name or len(name) > 200:
        raise InvalidInput(
            _g("Enter the organisation's registered name (at most 200 characters)."), field="name"
        )
    if not uscc_check.is_valid(uscc):
        raise InvalidInput(
            _g(
                "“%(value)s” is not a valid unified social credit code (18 "
                "characters with a correct check digit)."
            )
            % {"value": uscc[:40]},
            field="uscc",
        )
    region = region_of_uscc(uscc)
    if not region:
        raise InvalidInput(
            _g(
                "The region code in this unified social credit code is not a "
                "PRC province (M§13(1))."
            ),
            field="uscc",
        )
    if org_type not in OrganizationType.values:
        raise InvalidInput(_g("Choose the type of organisation."), field="org_type")
    if len(address) > 300:
        raise InvalidInput(_g("The address is longer than 300 characters."), field="address")
    user_model = get_user_model()
    user = user_model(
        username=(username or "").strip(),
        email=(email or "").strip(),
        display_name=(display_name or "").strip()[:100],
        role=Role.APPLICANT,
    )
    try:
        user.full_clean(exclude=["password", "organization", "role"])
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise InvalidInput(" ".join(messages), field=field) from None
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise InvalidInput(" ".join(exc.messages), field="password") from None
    try:
        with transaction.atomic():
            if Organization.objects.filter(uscc=uscc).exists():
                raise Conflict(
                    _g(
                        "An organisation with this unified social credit code is "
                        "already registered; ask its users to invite you."
                    ),
                    field="uscc",
                )
            org = Organization.objects.create(
                name=name, uscc=uscc, org_type=org_type, region=region, address=address
            )
            user.organization = org
            user.set_password(password)
            user.save()
            audit_record(
                actor=user,
                action="organization.register",
                obj=org,
                now=now,
                data={"name": name, "uscc": uscc, "org_type": org_type, "username": user.username},
            )
    except IntegrityError:
        raise Conflict(
            _g("This user name or organisation is already registered."), field="username"
        ) from None
    return user
