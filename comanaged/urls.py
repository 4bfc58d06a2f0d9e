"""URL routes. The console, portal and API arrive with the next issue; the admin serves staff."""

from django.contrib import admin
from django.urls import path

from comanaged.api.api import api
from comanaged.core.views import health

admin.site.site_header = "comanaged — provider administration"
admin.site.site_title = "comanaged"
admin.site.index_title = "Provider administration"
admin.site.site_url = None  # no public site yet: hide "View site"

urlpatterns = [
    path("health", health, name="health"),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
]
