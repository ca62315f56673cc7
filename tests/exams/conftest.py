import shutil

import pytest

from tests.worlds import exam_settings


@pytest.fixture
def exam_world(db, _worlds, settings, tmp_path):
    """The world's round after registration closed, on its first test day: three exam centres
    (two in Tbilisi, one adapted in Kutaisi), one session per test item today and ten
    registered applicants preferring Tbilisi (one needs an adapted environment).
    Built once (tests/worlds.py); each test gets its own copy of the world's files."""
    data = _worlds.get("exam_world")
    _take_files(_worlds, settings, tmp_path / "exam_world")
    return data


def _take_files(worlds, settings, files):
    """This test's own copy of the world's files (media, the SMS outbox), in the settings."""
    shutil.copytree(worlds.files(), files)
    for name, value in exam_settings(files).items():
        setattr(settings, name, value)


@pytest.fixture
def issued(exam_world, _worlds, settings, tmp_path):
    """The exam world distributed and its invitations issued and rendered."""
    data = _worlds.get("issued")
    _take_files(_worlds, settings, tmp_path / "issued")
    return {**exam_world, "distribution": data["distribution"], "job": data["job"]}
