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
    if data is None:
        raise RuntimeError("name the `exam_world` fixture as an argument of the test or fixture")
    files = tmp_path / "world"
    shutil.copytree(_worlds.files(), files)
    for name, value in exam_settings(files).items():
        setattr(settings, name, value)
    return data


@pytest.fixture
def issued(exam_world, _worlds):
    """The exam world distributed and its invitations issued and rendered."""
    data = _worlds.get("issued")
    if data is None:
        raise RuntimeError("name the `issued` fixture as an argument of the test or fixture")
    return {**exam_world, "distribution": data["distribution"], "job": data["job"]}
