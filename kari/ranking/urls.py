from django.urls import path

from . import subsequent_views as sv
from . import views

app_name = "ranking"
urlpatterns = [
    path("ranking/", views.home, name="home"),
    path("ranking/publish/", views.publish, name="publish"),
    path("ranking/earlier-cutoffs/", views.earlier_cutoffs, name="earlier_cutoffs"),
    path("ranking/freeze/", views.freeze, name="freeze"),
    path("ranking/formula/", views.formula, name="formula"),
    path("ranking/build/", views.build, name="build"),
    path("ranking/jobs/<int:pk>/", views.job, name="job"),
    path("ranking/lists/<int:pk>/export/<str:fmt>/", views.lists_export, name="lists_export"),
    path("ranking/<int:pk>/", views.detail, name="detail"),
    path("ranking/<int:pk>/approve/", views.approve, name="approve"),
    path("ranking/<int:pk>/sign/", views.sign, name="sign"),
    path("ranking/<int:pk>/enter/", views.enter, name="enter"),
    path("ranking/documents/", views.documents_page, name="documents"),
    path("ranking/documents/<int:pk>/", views.document_download, name="document"),
    path("ranking/competition/", views.competition, name="competition"),
    path("ranking/subsequent/", sv.home, name="subsequent"),
    path("ranking/subsequent/upload/", sv.upload, name="subsequent_upload"),
    path("ranking/subsequent/build/", sv.build, name="subsequent_build"),
    path("ranking/subsequent/<int:pk>/submit/", sv.submit, name="subsequent_submit"),
    path("ranking/subsequent/<int:pk>/approve/", sv.approve, name="subsequent_approve"),
    path("ranking/subsequent/review/", sv.reviews, name="subsequent_reviews"),
    path("ranking/subsequent/review/<int:pk>/", sv.review, name="subsequent_review"),
    path("ranking/subsequent/check/<str:token>/", sv.check, name="subsequent_check"),
    path("results/<int:round_pk>/ranking.pdf", views.public_summary, name="public_summary"),
    path("results/<int:round_pk>/cut-offs/", views.cutoffs, name="cutoffs"),
    path("results/<int:round_pk>/statistics/", views.statistics, name="statistics"),
]
