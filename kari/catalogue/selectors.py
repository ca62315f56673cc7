"""Read queries of the catalogue (the public portal, A13.9)."""

from django.db.models import Q

from kari.rounds.models import Round

from .models import AnnouncementLine, AnnouncementStatus, NextIntakeAdjustment


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


def next_intake_limit(programme, round_):
    """A27.10: the most places ``programme`` may announce in ``round_`` when the previous round's
    tie rule took it beyond its annual limit, with the places subtracted; None when no
    adjustment applies. The limit is the authorised number (A13.6), or the places announced in
    the previous round where none is recorded."""
    previous = (
        Round.objects.filter(test_starts__lt=round_.test_starts).order_by("-test_starts").first()
    )
    if previous is None:
        return None
    reduction = sum(
        NextIntakeAdjustment.objects.filter(programme=programme, source_round=previous).values_list(
            "reduction", flat=True
        )
    )
    if not reduction:
        return None
    base = programme.authorised_places
    if base is None:
        base = (
            AnnouncementLine.objects.filter(programme=programme, announcement__round=previous)
            .values_list("places", flat=True)
            .first()
        ) or 0
    return {"limit": max(0, base - reduction), "reduction": reduction, "base": base}
