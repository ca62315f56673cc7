from django.urls import path

from . import views

app_name = "exams"
urlpatterns = [
    path("exams/", views.home, name="home"),
    path("exams/centres/", views.centres, name="centres"),
    path("exams/centres/new/", views.centre_edit, name="centre_new"),
    path("exams/centres/<int:pk>/", views.centre_edit, name="centre_edit"),
    path("exams/sessions/", views.sessions, name="sessions"),
    path("exams/sessions/<int:pk>/delete/", views.session_delete, name="session_delete"),
    path(
        "exams/sessions/<int:pk>/reschedule/", views.session_reschedule, name="session_reschedule"
    ),
    path("exams/distribute/", views.distribute, name="distribute"),
    path("exams/distribute/<int:pk>/", views.distribution_job, name="distribution_job"),
    path("exams/distributions/<int:pk>/", views.distribution, name="distribution"),
    path("exams/distributions/<int:pk>/issue/", views.issue, name="issue"),
    path("exams/distributions/<int:pk>/agree/", views.agree, name="agree"),
    path("exams/distributions/<int:pk>/move/", views.move, name="move"),
    path("exams/jobs/<int:pk>/", views.job, name="job"),
    path("exams/jobs/<int:pk>/resume/", views.job_resume, name="job_resume"),
    path("exams/handover/<str:kind>.<str:fmt>", views.handover_export, name="export"),
    path("exams/handover/numbers/", views.numbers_import, name="numbers"),
    path("exams/results/", views.results_upload, name="results"),
    path("exams/proctor/", views.proctor, name="proctor"),
    path("exams/proctor/<int:centre_pk>/<int:session_pk>/", views.checkin, name="checkin"),
    path(
        "exams/proctor/<int:centre_pk>/<int:session_pk>/no-shows/", views.no_shows, name="no_shows"
    ),
    path(
        "exams/proctor/<int:centre_pk>/<int:session_pk>/presence/", views.presence, name="presence"
    ),
    path("exams/sittings/<int:pk>/<str:action>/", views.checkin_act, name="act"),
    path("exams/sittings/<int:pk>/protocol.pdf", views.protocol, name="protocol"),
    path("invitation/<str:token>/", views.verify, name="verify"),
    path("cabinet/invitation/<int:pk>.pdf", views.my_invitation, name="my_invitation"),
]
