"""URL routes: the console, the portal, sign-in, the API, the admin and health."""

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import include, path, reverse

from comanaged.api.api import api
from comanaged.core.views import health
from comanaged.tenancy.scoping import is_provider_staff

admin.site.site_header = "comanaged — provider administration"
admin.site.site_title = "comanaged"
admin.site.index_title = "Provider administration"
admin.site.site_url = "/"


def home(request: HttpRequest) -> HttpResponse:
    """Staff land in the console, a client's people in their portal."""
    if not request.user.is_authenticated:
        return redirect_to_login("/")
    if is_provider_staff(request.user):
        return HttpResponseRedirect(reverse("console:dashboard"))
    if getattr(request.user, "person", None) is not None:
        return HttpResponseRedirect(reverse("portal:home"))
    raise PermissionDenied


def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin signs in through the same door as everyone (MFA, lock-out)."""
    return redirect_to_login(request.GET.get("next", reverse("admin:index")))


urlpatterns = [
    path("", home, name="home"),
    path("health", health, name="health"),
    path("accounts/", include("allauth.urls")),
    path("console/", include("comanaged.console.urls")),
    path("portal/", include("comanaged.portal.urls")),
    path("admin/login/", admin_login),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
]
