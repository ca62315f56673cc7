"""`kari exams …`: the same services from the command line, with a progress bar for the cards."""

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kari.exams.models import Distribution, Invitation, InvitationJob


def _run(*args, **options) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("exams", *args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def test_A17_2_A17_3_distribute_then_issue_the_cards_with_a_progress_bar(exam_world, capsys):
    r = exam_world["round"]
    out, _ = _run("distribute", user=exam_world["emis"].username, round=r.pk)
    assert "10 placed, 0 unplaced" in out and "in their preferred municipality" in out
    out, _ = _run("agree", user=exam_world["naec"].username, round=r.pk)
    assert "A17.2" in out
    out, _ = _run("invitations", user=exam_world["emis"].username, round=r.pk, workers=1)
    assert "10 invitation cards issued" in out
    assert "invitations: 100%" in capsys.readouterr().err  # tqdm's bar on stderr
    job = InvitationJob.objects.get()
    assert job.status == "done" and job.done == 10
    assert all(Path(i.pdf.path).exists() for i in Invitation.objects.all())


def test_A17_4_export_to_a_file_with_its_deadline(issued, tmp_path):
    target = tmp_path / "a17_4.json"
    _out, err = _run(
        "export",
        "distribution_to_naec",
        user=issued["emis"].username,
        round=issued["round"].pk,
        format="json",
        output=str(target),
    )
    assert '"citation": "A17.4"' in target.read_text("utf-8")
    assert "deadline" in err


def test_cli_refuses_a_user_without_the_right(exam_world):
    with pytest.raises(CommandError, match=r"exams\.distribute"):
        _run("distribute", user=exam_world["naec"].username, round=exam_world["round"].pk)
    assert not Distribution.objects.exists()


def test_A26_1_results_rejected_file_lists_every_problem_and_writes_nothing(issued, tmp_path):
    bad = tmp_path / "results.csv"
    bad.write_text("personal_number,status,skills_score\n99999999999,completed,40\n", "utf-8")
    with pytest.raises(CommandError, match="nothing was written"):
        _run("results", str(bad), user=issued["naec"].username, round=issued["round"].pk)
