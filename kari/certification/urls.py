from django.urls import path

from . import views

app_name = "certification"
urlpatterns = [
    path("", views.calls, name="calls"),
    path("calls/<int:pk>/", views.call, name="call"),
    path("certificates/", views.lookup, name="lookup"),
    path("certificates/<str:number>/", views.verify, name="verify"),
    path("certificates/<str:number>/credential.json", views.credential, name="credential"),
    path("status/<slug:org>/", views.status_list_view, name="status_list"),
    path("alumni/", views.alumni, name="alumni"),
]

from . import pages  # noqa: E402

urlpatterns += [
    path("sign-in/", pages.sign_in, name="sign_in"),
    path("calls/<int:pk>/apply/", pages.apply, name="apply"),
    path("my/", pages.mine, name="mine"),
    path("sign-out/", pages.sign_out, name="sign_out"),
    path("certificates/<str:number>/certificate.pdf", pages.certificate_pdf, name="pdf"),
    path("staff/", pages.staff_list, name="staff"),
    path("staff/applications/<int:pk>/", pages.staff_detail, name="staff_detail"),
    path("staff/uploads/<int:pk>/", pages.upload, name="upload"),
    path("staff/calls/new/", pages.new_call, name="new_call"),
    path("staff/certificates/<str:number>/revoke/", pages.revoke, name="revoke"),
    path("staff/events/", pages.events, name="events"),
]
