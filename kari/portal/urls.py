from django.urls import path

from . import staff, views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("programmes/<str:code>/", views.programme, name="programme"),
    path("staff/", staff.staff, name="staff"),
]
