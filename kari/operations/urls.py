from django.urls import path

from . import views

app_name = "operations"
urlpatterns = [
    path("operations/outbox/", views.outbox, name="outbox"),
    path("operations/outbox/<int:pk>/resend/", views.resend, name="resend"),
]
