"""Staff sign-in: a password, then a TOTP code (enrolling an authenticator the first time)."""

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from kari.clientip import client_ip
from kari.formerrors import apply_errors
from kari.middleware import seen_now
from kari.staffauth import staff_required

from . import services, throttle
from .forms import ChangePasswordForm, PasswordForm, TokenForm
from .models import User

PENDING = "kari_pending_staff"


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def sign_in(request):
    form = PasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        username, ip = form.cleaned_data["username"], client_ip(request)
        seconds = throttle.password_wait(username, ip)
        user = None
        if seconds:  # issue 11, point 4: see kari.accounts.throttle
            form.add_error(
                None,
                _("Too many wrong attempts. Try again in %(seconds)s seconds.")
                % {"seconds": seconds},
            )
        else:
            user = authenticate(request, username=username, password=form.cleaned_data["password"])
            if user is None or user.organisation_id is None:
                throttle.password_failed(username, ip)
                form.add_error(None, _("The username or password is wrong."))
                user = None
            else:
                throttle.password_succeeded(username, ip)
        if user is not None:
            request.session[PENDING] = user.pk
            step = "code" if services.confirmed_device(user) else "enrol"
            return redirect(f"{reverse('accounts:' + step)}?next={_next(request)}")
    return render(request, "accounts/login.html", {"form": form, "next": _next(request)})


def _pending_user(request):
    pk = request.session.get(PENDING)
    return User.objects.filter(pk=pk, is_active=True).first() if pk else None


def _finish(request, user, device):
    del request.session[PENDING]
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    otp_login(request, device)
    seen_now(request.session)  # the idle timeout counts from here (kari.middleware)
    return redirect(_next(request))


def code(request):
    user = _pending_user(request)
    device = user and services.confirmed_device(user)
    if not device:
        return redirect("accounts:login")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        allowed, _info = device.verify_is_allowed()
        if allowed and device.verify_token(form.cleaned_data["token"]):
            return _finish(request, user, device)
        form.add_error(
            "token", _("The code is wrong or has expired. Wait for a new one and try again.")
        )
    return render(request, "accounts/code.html", {"form": form, "next": _next(request)})


def enrol(request):
    user = _pending_user(request)
    if user is None:
        return redirect("accounts:login")
    if services.confirmed_device(user):
        return redirect("accounts:code")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = services.start_totp_enrolment(user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if services.confirm_totp_enrolment(user, device, form.cleaned_data["token"]):
            return _finish(request, user, device)
        form.add_error("token", _("The code does not match. Check the time on your phone."))
    qr = segno.make(device.config_url, error="m")
    return render(
        request,
        "accounts/enrol.html",
        {
            "form": form,
            "next": _next(request),
            "qr": qr.svg_data_uri(scale=5),
            "secret": device.config_url.split("secret=")[1].split("&")[0],
        },
    )


@staff_required
def change_password(request):
    """A staff member changes their own password (audited); the session stays signed in."""
    form = ChangePasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.change_password(
                request.user, form.cleaned_data["old_password"], form.cleaned_data["new_password"]
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            update_session_auth_hash(request, request.user)
            messages.success(request, _("Your password is changed."))
            return redirect("portal:staff")
    return render(request, "accounts/password.html", {"form": form})


@require_POST
def sign_out(request):
    logout(request)
    return redirect(settings.LOGOUT_REDIRECT_URL)
