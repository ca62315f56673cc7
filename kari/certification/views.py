"""Public pages of certification: the call, certificate verification (C4), the credential,
the revocation status list, and the alumni directory."""

from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from kari.accounts.models import Organisation
from kari.files import attachment

from . import services
from .issuing import status_list
from .models import Call, Certificate, SigningKey


def calls(request):
    items = Call.objects.select_related("organisation").order_by("-closes_on")
    return render(
        request, "certification/calls.html", {"calls": [(c, services.call_open(c)) for c in items]}
    )


def call(request, pk):
    c = get_object_or_404(Call.objects.select_related("organisation"), pk=pk)
    return render(
        request,
        "certification/call.html",
        {"call": c, "criteria": c.criteria.all(), "open": services.call_open(c)},
    )


def lookup(request):
    """Anyone: find a certificate by its number, on a page (issue 19, point 4)."""
    number = request.GET.get("number", "").strip().upper()
    error = ""
    if "number" in request.GET:
        if not number:
            error = _("Enter the certificate number, as printed on the certificate.")
        elif Certificate.objects.filter(number=number).exists():
            return redirect("certification:verify", number=number)
        else:
            error = _(
                "No certificate has this number. Check it against the certificate: "
                "letters, digits and dashes."
            )
    return render(
        request,
        "certification/lookup.html",
        {
            "number": request.GET.get("number", ""),
            "error": error,
            "error_extra": [("#number", error)] if error else [],
        },
    )


def verify(request, number):
    """Anyone, forever: is this certificate genuine, and is it still valid?"""
    cert = get_object_or_404(
        Certificate.objects.select_related(
            "application__applicant", "application__call__organisation"
        ),
        number=number,
    )
    holder = cert.application.applicant
    if holder.directory_opt_in:  # the holder chose to be listed: the name (and what they chose)
        name = holder.full_name_ka
        affiliation = holder.affiliation if holder.directory_show_affiliation else ""
    else:  # enough to match the certificate in hand, no more (issue 11, point 6)
        first, _sep, last = holder.full_name_ka.partition(" ")
        name, affiliation = (f"{first} {last[:1]}." if last else first), ""
    return render(
        request,
        "certification/verify.html",
        {"cert": cert, "app": cert.application, "holder": name, "affiliation": affiliation},
    )


def credential(request, number):
    cert = get_object_or_404(Certificate, number=number)
    response = JsonResponse(cert.credential, json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = attachment(f"{cert.number}.json")
    return response


def status_list_view(request, org):
    organisation = get_object_or_404(Organisation, code=org)
    if not SigningKey.objects.filter(organisation=organisation).exists():
        raise Http404  # an organisation that issues nothing has no status list
    return JsonResponse(status_list(organisation), json_dumps_params={"ensure_ascii": False})


def alumni(request):
    return render(request, "certification/alumni.html", {"people": services.directory()})
