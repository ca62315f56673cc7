"""Staff acts on the outbox: sending a failed notice again."""

from django.db import transaction
from django.utils.translation import gettext as _

from kari.accounts.permissions import NATIONAL, authorize
from kari.audit.log import record
from kari.errors import RuleError
from kari.outbox import delivery
from kari.outbox.models import Message, Status


@transaction.atomic
def resend(actor, message: Message) -> Message:
    """Queue a notice that was not delivered again (its attempts start afresh)."""
    authorize(actor, "operations.outbox", NATIONAL)
    message = Message.objects.select_for_update().get(pk=message.pk)
    if message.status != Status.FAILED:
        raise RuleError(_("Only a notice that was not delivered can be sent again."))
    if message.secret:
        raise RuleError(_("A one-time code is not sent again: the applicant asks for a new code."))
    before = {"status": message.status, "attempts": message.attempts}
    message = delivery.resend(message)
    record(
        actor,
        "outbox.resend",
        message,
        before=before,
        after={"status": message.status},
        reason=_("Sent again from the outbox page"),
    )
    return message
