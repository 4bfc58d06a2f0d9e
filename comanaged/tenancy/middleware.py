"""Staff enrol in MFA before anything else (issue 3): the guard for every request."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse

from comanaged.tenancy.scoping import is_provider_staff

MFA_EXEMPT_PREFIXES = ("/accounts/", "/static/", "/health")


def has_mfa(user: object) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


class StaffMfaRequiredMiddleware:
    """A staff member without MFA is sent to enrol before anything else (issue 3)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.COMANAGED_STAFF_MFA_REQUIRED and self._must_enrol(request):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {
                        "code": "mfa_required",
                        "message": "Enrol in two-factor authentication first.",
                        "field": None,
                        "problems": [
                            {
                                "code": "mfa_required",
                                "message": "Enrol in two-factor authentication first.",
                                "field": None,
                            }
                        ],
                    },
                    status=403,
                )
            messages.info(request, "Provider staff must set up two-factor authentication before going on.")
            target = reverse("mfa_activate_totp")
            return HttpResponseRedirect(f"{target}?next={quote(request.get_full_path())}")
        return self.get_response(request)

    @staticmethod
    def _must_enrol(request: HttpRequest) -> bool:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or request.path.startswith(MFA_EXEMPT_PREFIXES):
            return False
        return is_provider_staff(user) and not has_mfa(user)
