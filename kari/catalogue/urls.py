from django.urls import path

from . import views

app_name = "catalogue"
urlpatterns = [
    path("announcement/", views.announcement, name="announcement"),
    path("programmes/new/", views.programme_edit, name="programme_new"),
    path("programmes/<str:code>/edit/", views.programme_edit, name="programme_edit"),
    path("review/", views.review, name="review"),
    path("review/<int:pk>/", views.review_detail, name="review_detail"),
    path("import/", views.import_view, name="import"),
    path("export/<str:kind>.<str:fmt>", views.export, name="export"),
]
