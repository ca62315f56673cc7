from django.urls import path

from . import views

app_name = "certification"
urlpatterns = [
    path("calls/<int:pk>/", views.call, name="call"),
    path("certificates/<str:number>/", views.verify, name="verify"),
    path("certificates/<str:number>/credential.json", views.credential, name="credential"),
    path("status/<slug:org>/", views.status_list_view, name="status_list"),
    path("alumni/", views.alumni, name="alumni"),
]
