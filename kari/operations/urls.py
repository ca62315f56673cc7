from django.urls import path

from . import views

app_name = "operations"
urlpatterns = [
    path("operations/outbox/", views.outbox, name="outbox"),
    path("operations/outbox/<int:pk>/resend/", views.resend, name="resend"),
    path("jobs/<int:pk>/", views.file_job, name="file_job"),
    path("jobs/<int:pk>/download/", views.file_job_download, name="file_job_download"),
]
