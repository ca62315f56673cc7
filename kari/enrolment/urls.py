from django.urls import path

from . import views

app_name = "enrolment"
urlpatterns = [
    path("enrolment/", views.institution, name="institution"),
    path("enrolment/terms/<str:code>/", views.terms, name="terms"),
    path("enrolment/sen/", views.sen, name="sen"),
    path("enrolment/sen/<int:act>/<str:code>/", views.sen_terms, name="sen_terms"),
    path("enrolment/contract-template/", views.contract_template, name="contract_template"),
    path("enrolment/<int:pk>/", views.detail, name="detail"),
    path("enrolment/<int:pk>/document/<int:doc>/", views.document, name="document"),
    path("enrolment/<int:pk>/file/<int:sub>/", views.upload_file, name="file"),
    path("enrolment/<int:pk>/module/", views.module, name="module"),
    path("enrolment/<int:pk>/restore/", views.restore, name="restore"),
    path("enrolment/<int:pk>/choose/", views.choose, name="choose"),
    path("enrolment/<int:pk>/contract.pdf", views.contract_pdf, name="contract_pdf"),
    path("enrolment/act/", views.act, name="act"),
    path("enrolment/act/<int:pk>.pdf", views.act_pdf, name="act_pdf"),
    path("enrolment/offer/", views.offer, name="offer"),
    path("enrolment/enter/", views.enter, name="enter"),
    path("enrolment/entries/", views.entries, name="entries"),
    path("enrolment/figures/", views.figures, name="figures"),
    path("cabinet/enrolment/", views.cabinet, name="cabinet"),
    path("cabinet/enrolment/<int:pk>/upload/<int:doc>/", views.cabinet_upload, name="upload"),
    path("cabinet/enrolment/<int:pk>/choose/", views.cabinet_choose, name="cabinet_choose"),
    path(
        "cabinet/enrolment/<int:pk>/contract.pdf", views.cabinet_contract, name="cabinet_contract"
    ),
]
