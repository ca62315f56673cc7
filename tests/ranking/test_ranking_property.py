"""The stored ranking equals ``kari allocate`` run on the exported instance (issue 16)."""

import json
from decimal import Decimal

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kari import allocation
from kari.allocation.cli import main as allocate_main
from kari.ranking import services

rounds = st.fixed_dictionaries(
    {
        "programmes": st.lists(
            st.tuples(st.integers(0, 3), st.sampled_from(["ordinary", "art", "work_based"])),
            min_size=1,
            max_size=4,
        ),
        "applicants": st.lists(
            st.tuples(
                st.integers(0, 6),  # test score: few values, so ties are common
                st.lists(st.integers(0, 3), max_size=4, unique=True),
                st.lists(st.integers(0, 5), min_size=4, max_size=4),  # competition scores
                st.sampled_from(["completed", "completed", "completed", "absent"]),
            ),
            max_size=12,
        ),
    }
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=rounds)
def test_A27_2_stored_ranking_equals_kari_allocate_on_the_exported_instance(rb, tmp_path, data):
    with transaction.atomic():
        progs = []
        for i, (places, kind) in enumerate(data["programmes"]):
            progs.append(rb.programme(f"H-{rb.n}-{i}", places + 5 if places else 5, kind=kind))
        for score, picks, comp, status in data["applicants"]:
            chosen = [progs[k] for k in picks if k < len(progs)]
            reg = rb.applicant(score if status == "completed" else None, chosen, status=status)
            for k, p in enumerate(chosen):
                wanted = p.work_based or (p.art_sport_tourism and comp[k] % 2)
                if wanted and comp[k]:
                    rb.competition(p, reg, Decimal(comp[k]))
        ranking = rb.rank()
        src, out = tmp_path / "instance.json", tmp_path / "result.json"
        src.write_bytes(services.rankings.instance_bytes(ranking))
        assert allocate_main([str(src), "-o", str(out), "--verify"]) == 0
        result = json.loads(out.read_bytes())
        instance = allocation.load(str(src))
        assert allocation.check(instance, allocation.from_json(instance, result)) == []
        admitted = {
            f"R-{a.registration_id:06d}": a.programme.code
            for a in ranking.admissions.select_related("programme")
        }
        assert admitted == {k: v for k, v in result["assignments"].items() if v is not None}
        for po in ranking.programmes.select_related("programme"):
            figures = result["programmes"][po.programme.code]
            cutoff = None if po.cutoff is None else Decimal(po.cutoff)
            expected = None if figures["cutoff"] is None else Decimal(str(figures["cutoff"]))
            assert (po.admitted, po.extra_places, cutoff) == (
                figures["admitted"],
                figures["extra_places"],
                expected,
            )
        transaction.set_rollback(True)
        rb._results.clear()
