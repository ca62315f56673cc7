"""Read queries of the catalogue (the public portal, A13.9)."""

from django.db.models import Q

from .models import AnnouncementLine, AnnouncementStatus


def published_lines(round_):
    """A13.8-9: programmes of confirmed announcements, published on the VET portal."""
    return (
        AnnouncementLine.objects.filter(
            announcement__round=round_, announcement__status=AnnouncementStatus.CONFIRMED
        )
        .select_related(
            "programme__field__direction",
            "programme__skills_test",
            "programme__subject_group",
            "programme__institution__organisation__municipality__region",
        )
        .order_by("programme__institution__organisation__name_ka", "programme__name_ka")
    )


def search_lines(
    round_,
    *,
    q="",
    direction=None,
    field=None,
    municipality=None,
    institution=None,
    skills_test=None,
    region=None,
):
    qs = published_lines(round_)
    if q:
        qs = qs.filter(
            Q(programme__name_ka__icontains=q)
            | Q(programme__name_en__icontains=q)
            | Q(programme__code__icontains=q)
            | Q(programme__institution__organisation__name_ka__icontains=q)
            | Q(programme__institution__organisation__name_en__icontains=q)
        )
    filters = {
        "programme__field__direction__code": direction,
        "programme__field__code": field,
        "programme__institution__organisation__municipality__code": municipality,
        "programme__institution__organisation__municipality__region__code": region,
        "programme__institution__organisation__code": institution,
        "programme__skills_test__code": skills_test,
    }
    return qs.filter(**{k: v for k, v in filters.items() if v})
