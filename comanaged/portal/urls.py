from django.urls import path

from comanaged.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("people/", views.people, name="people"),
]
