from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from .enums import OrganizationType
from .services import organization_register


class RegistrationSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    uscc = serializers.CharField(max_length=18)
    org_type = serializers.ChoiceField(choices=OrganizationType.choices)
    address = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    display_name = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default=""
    )
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(write_only=True)


class RegisterThrottle(AnonRateThrottle):
    rate = "20/hour"


class RegisterView(APIView):
    """Register an applicant organisation and its first user."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [RegisterThrottle]

    @extend_schema(
        request=RegistrationSerializer,
        responses={
            201: inline_serializer(
                "Registered",
                {
                    "username": serializers.CharField(),
                    "organization": serializers.CharField(),
                    "uscc": serializers.CharField(),
                },
            ),
            400: OpenApiResponse(description="invalid data, with a message"),
            409: OpenApiResponse(description="already registered"),
        },
    )
    def post(self, request):
        ser = RegistrationSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        user = organization_register(now=timezone.now(), **ser.validated_data)
        return Response(
            {
                "username": user.username,
                "organization": user.organization.name,
                "uscc": user.organization.uscc,
            },
            status=status.HTTP_201_CREATED,
        )


class TokenSerializer(AuthTokenSerializer):
    """DRF's, with the username no longer than a username can be (the login page's form has
    the same bound): a longer one is a 400, not a failed login that django-axes cannot store
    in its 255-character column (a 500 the API fuzzing found)."""

    username = serializers.CharField(
        label=_("Username"),
        write_only=True,
        max_length=get_user_model()._meta.get_field("username").max_length,
    )


class TokenView(ObtainAuthToken):
    """`POST /api/v1/auth/token/` → `{"token"}` (DESIGN.md contract), throttled like the login
    page: the login check sees the underlying request, so django-axes can count and lock."""

    serializer_class = TokenSerializer

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "request": self.request._request}

    def post(self, request, *args, **kwargs):
        """With a second factor set up (or required for staff), the code comes as `otp`."""
        from django.utils.translation import gettext as _g
        from django_otp import match_token
        from rest_framework.authtoken.models import Token

        from ietsportal.errors import InvalidInput

        from .twofactor import second_factor_required

        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        code = str(request.data.get("otp", "")).strip()
        if second_factor_required(user) and not (code and match_token(user, code)):
            raise InvalidInput(
                _g("Enter the current code of your authenticator app as “otp”."), field="otp"
            )
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})
