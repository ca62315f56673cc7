"""Reference data shipped with Kari (kari/catalogue/data/): Georgia's regions and
municipalities with coordinates, the qualifications framework's directions and fields,
skills-test types, the A7.3 subjects and the A7.4 subject groups."""

import json
from functools import cache
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from kari.audit.log import record

from .models import (
    Direction,
    Field,
    Municipality,
    Region,
    SkillsTest,
    Subject,
    SubjectGroup,
    TestMapping,
)

DATA = Path(__file__).parent / "data"


@cache
def data(name: str) -> dict:
    return json.loads((DATA / f"{name}.json").read_text("utf-8"))


def _upsert(model, code, **values):
    obj, _ = model.objects.update_or_create(code=code, defaults=values)
    return obj


@transaction.atomic
def load_reference(actor=None) -> dict:
    """Create or update all reference data; idempotent. Returns counts."""
    geo = data("municipalities")
    regions = {
        r["code"]: _upsert(Region, r["code"], name_ka=r["name_ka"], name_en=r["name_en"])
        for r in geo["regions"]
    }
    for m in geo["municipalities"]:
        if m.get("occupied"):
            continue
        _upsert(
            Municipality,
            m["code"],
            region=regions[m["region"]],
            name_ka=m["name_ka"],
            name_en=m["name_en"],
            lat=m["lat"],
            lon=m["lon"],
        )
    tests = data("tests")
    for t in tests["skills_tests"]:
        _upsert(SkillsTest, t["code"], name_ka=t["name_ka"], name_en=t["name_en"])
    subjects = {
        s["code"]: _upsert(Subject, s["code"], name_ka=s["name_ka"], name_en=s["name_en"])
        for s in tests["subjects"]
    }
    for g in tests["subject_groups"]:
        group = _upsert(SubjectGroup, g["code"], name_ka=g["name_ka"], name_en=g["name_en"])
        group.subjects.set([subjects[c] for c in g["subjects"]])
    groups = {g.code: g for g in SubjectGroup.objects.all()}
    skills = {t.code: t for t in SkillsTest.objects.all()}
    for d in data("qualifications")["directions"]:
        direction = _upsert(Direction, d["code"], name_ka=d["name_ka"], name_en=d["name_en"])
        for f in d["fields"]:
            field = _upsert(
                Field, f["code"], direction=direction, name_ka=f["name_ka"], name_en=f["name_en"]
            )
            # A7.2: the shipped test of each field, until NAEC records its director's act
            # (kari.catalogue.services.set_test_mapping); a recorded act is never overwritten.
            TestMapping.objects.get_or_create(
                field=field,
                defaults={
                    "skills_test": skills[f["skills_test"]],
                    "subject_group": groups[f["subject_group"]],
                    "updated_at": timezone.now(),
                },
            )
    counts = {
        "regions": Region.objects.count(),
        "municipalities": Municipality.objects.count(),
        "directions": Direction.objects.count(),
        "fields": Field.objects.count(),
        "skills_tests": SkillsTest.objects.count(),
        "subjects": Subject.objects.count(),
        "subject_groups": SubjectGroup.objects.count(),
    }
    record(
        actor,
        "reference.load",
        Region.objects.first(),
        after=counts,
        reason="reference data loaded from kari/catalogue/data",
    )
    return counts


def field_defaults() -> dict[str, dict]:
    """Per field code: its skills test, subject group and programme names."""
    out = {}
    for d in data("qualifications")["directions"]:
        for f in d["fields"]:
            out[f["code"]] = f
    return out
