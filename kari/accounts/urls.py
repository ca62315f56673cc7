from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.sign_in, name="login"),
    path("login/code/", views.code, name="code"),
    path("login/enrol/", views.enrol, name="enrol"),
    path("logout/", views.sign_out, name="logout"),
    path("password/", views.change_password, name="password"),
]
