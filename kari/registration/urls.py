from django.urls import path

from . import views

app_name = "registration"
urlpatterns = [
    path("register/", views.register, name="register"),
    path("register/confirm/", views.confirm, name="confirm"),
    path("cabinet/", views.cabinet, name="cabinet"),
    path("cabinet/sign-in/", views.sign_in, name="sign_in"),
    path("cabinet/sign-in/code/", views.sign_in_code, name="sign_in_code"),
    path("cabinet/sign-out/", views.sign_out, name="sign_out"),
    path("cabinet/printout/<int:pk>/", views.cabinet_printout, name="cabinet_printout"),
    path("centre/register/", views.centre_register, name="centre_register"),
    path(
        "centre/register/subsequent/",
        views.centre_register,
        {"stage": "subsequent"},
        name="centre_register_subsequent",
    ),
    path("centre/register/confirm/", views.centre_confirm, name="centre_confirm"),
    path("centre/counter/", views.counter, name="counter"),
    path("centre/counter/code/", views.counter_code, name="counter_code"),
    path("centre/contacts/", views.contacts_reset, name="contacts_reset"),
    path("centre/registrations/<int:pk>/", views.centre_done, name="centre_done"),
    path("centre/registrations/<int:pk>/printout/", views.centre_printout, name="centre_printout"),
    path("verify/<str:token>/", views.verify, name="verify"),
]
