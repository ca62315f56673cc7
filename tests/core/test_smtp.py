"""Notifications go out through Django's SMTP backend to a real local SMTP server (aiosmtpd),
and only after the transaction commits."""

import pytest
from django.test import TestCase

from kari.accounts.roles import Role
from kari.catalogue import services

pytestmark = [pytest.mark.django_db, pytest.mark.smtp]


def test_A13_6_flag_notice_reaches_the_institution_by_smtp_after_commit(world, smtp):
    admin = world["users"][Role.INSTITUTION_ADMIN]
    services.set_places(admin, world["inst_a"], world["round"], {"A-0": (20, 2)})
    ann = services.submit_announcement(admin, world["inst_a"].announcements.get())
    with TestCase.captureOnCommitCallbacks(execute=False) as callbacks:
        services.flag_announcement(world["users"][Role.QUALITY_OFFICER], ann, "A-0: 25 authorised")
    assert smtp.messages == []  # nothing is sent before the commit
    for callback in callbacks:
        callback()
    assert len(smtp.messages) == 1
    recipients, message = smtp.messages[0]
    assert "u-institution_admin@example.ge" in recipients
    assert "25 authorised" in message.get_payload(decode=True).decode()


def test_a_rolled_back_change_sends_nothing(world, smtp):
    admin = world["users"][Role.INSTITUTION_ADMIN]
    ann = services.open_announcement(admin, world["inst_a"], world["round"])
    with TestCase.captureOnCommitCallbacks(execute=True), pytest.raises(Exception):
        services.confirm_announcement(world["users"][Role.QUALITY_OFFICER], ann)  # not submitted
    assert smtp.messages == [] and admin
