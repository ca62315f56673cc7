from django.urls import path

from . import views

app_name = "sen"
urlpatterns = [
    path("sen/", views.apply, name="apply"),
    path("sen/confirm/", views.confirm, name="confirm"),
    path("sen/registered/", views.done, name="done"),
    path("sen/registered/printout.pdf", views.my_printout, name="my_printout"),
    path("sen/verify/<str:token>/", views.verify, name="verify"),
    path("sen/acts/", views.acts, name="acts"),
    path("sen/acts/<str:token>/", views.act_public, name="act_public"),
    path("sen/acts/<str:token>/act.pdf", views.act_pdf, name="act_pdf"),
    path("staff/sen/", views.staff_home, name="staff_home"),
    path("staff/sen/register/", views.centre_register, name="centre_register"),
    path(
        "staff/sen/register/subsequent/",
        views.centre_register,
        {"stage": "subsequent"},
        name="centre_register_subsequent",
    ),
    path("staff/sen/register/confirm/", views.centre_confirm, name="centre_confirm"),
    path("staff/sen/register/done/", views.centre_done, name="centre_done"),
    path("staff/sen/registration/<int:pk>/printout.pdf", views.printout, name="printout"),
    path("staff/sen/institution/", views.institution, name="institution"),
    path("staff/sen/institution/<int:pk>/", views.institution_detail, name="institution_detail"),
    path("staff/sen/host/", views.host, name="host"),
    path("staff/sen/host/send/", views.send_package, name="send_package"),
    path("staff/sen/host/<int:pk>/trial/<str:code>/", views.trial, name="trial"),
    path("staff/sen/experts/", views.experts, name="experts"),
    path("staff/sen/experts/<int:pk>/", views.assessment, name="assessment"),
    path("staff/sen/ministry/", views.ministry, name="ministry"),
    path("staff/sen/ministry/<int:pk>/status/", views.status, name="status"),
    path("staff/sen/ministry/schedule/", views.schedule, name="schedule"),
    path("staff/sen/ministry/hosts/", views.hosts, name="hosts"),
    path("staff/sen/host/act/<int:pk>/acquaint/", views.acquaint, name="acquaint"),
    path("staff/sen/ministry/forms/", views.scoring_forms, name="scoring_forms"),
    path("staff/sen/ministry/forms/<str:code>/", views.scoring_form, name="scoring_form"),
    path("staff/sen/ministry/distribution/", views.distribution, name="distribution"),
    path("staff/sen/ministry/act/<int:pk>/", views.act_issue, name="act_issue"),
]
