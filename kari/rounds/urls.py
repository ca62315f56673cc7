from django.urls import path

from . import views

app_name = "rounds"
urlpatterns = [
    path("", views.timeline, name="current"),
    path("new/", views.new_round, name="new"),
    path("<int:pk>/", views.timeline, name="timeline"),
    path("<int:pk>/schedule/", views.schedule, name="schedule"),
]
