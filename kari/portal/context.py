def site(request):
    user = getattr(request, "user", None)
    staff = bool(user and user.is_authenticated and user.is_verified())
    return {"staff_user": user if staff else None}
