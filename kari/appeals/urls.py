from django.urls import path

from . import views

app_name = "appeals"
urlpatterns = [
    path("appeals/", views.home, name="home"),
    path("appeals/constitute/", views.constitute, name="constitute"),
    path("appeals/membership/", views.membership, name="membership"),
    path("appeals/complaints/<int:pk>/", views.complaint, name="complaint"),
    path("appeals/complaints/<int:pk>/receive/", views.receive, name="receive"),
    path("appeals/complaints/<int:pk>/conflict/", views.conflict, name="conflict"),
    path("appeals/complaints/<int:pk>/receipt.pdf", views.receipt, name="receipt"),
    path("appeals/attachments/<int:pk>/", views.attachment, name="attachment"),
    path("appeals/meetings/new/", views.convene, name="convene"),
    path("appeals/meetings/<int:pk>/", views.meeting, name="meeting"),
    path("appeals/meetings/<int:pk>/attendance/", views.attendance, name="attendance"),
    path("appeals/meetings/<int:pk>/vote/<int:complaint_pk>/", views.vote, name="vote"),
    path("appeals/decisions/<int:pk>.pdf", views.decision_pdf, name="decision_pdf"),
    path("appeals/results/", views.results, name="results"),
    path("appeals/overrides/<int:pk>/remark/", views.remark, name="remark"),
    path("appeals/file/<int:sitting_pk>/", views.file, name="file"),
    path("appeals/check/<str:token>/", views.verify, name="verify"),
    path("cabinet/complaints/<int:pk>/", views.my_complaint, name="my_complaint"),
    path("cabinet/complaints/<int:pk>/receipt.pdf", views.my_receipt, name="my_receipt"),
    path("cabinet/decisions/<int:pk>.pdf", views.my_decision, name="my_decision"),
]
