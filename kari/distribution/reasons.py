"""Why an applicant is left unplaced (A17.2): a reason code and the test items it names.

The solver states its reasons as codes, never as text: ``kari.exams.reasons`` holds the one
table that turns each code into a translated message for the pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Reason", "Unplaced"]


class Reason(StrEnum):
    """The reason codes; the comment says which items a reason names."""

    NO_SESSION = "no_session"  # the first of the applicant's items with no session at all
    NO_ADAPTED_CENTRE = "no_adapted_centre"  # no adapted centre with seats (none)
    NO_CENTRE_WITH_SEATS = "no_centre_with_seats"  # (none)
    NO_CENTRE_HOSTS_ITEM = "no_centre_hosts_item"  # the item no usable centre hosts
    NO_ADAPTED_CENTRE_HOSTS_ITEM = "no_adapted_centre_hosts_item"  # the item
    NO_CENTRE_HOSTS_ALL = "no_centre_hosts_all"  # all the applicant's items
    NO_ADAPTED_CENTRE_HOSTS_ALL = "no_adapted_centre_hosts_all"  # all the applicant's items
    NO_CAPACITY_FOR_ITEM = "no_capacity_for_item"  # the item every possible centre is full for
    CENTRE_QUOTAS_REACHED = "centre_quotas_reached"  # (none): NAEC's numbers, A17.2(b)
    NO_CAPACITY = "no_capacity"  # (none): every possible centre is full for some item


@dataclass(frozen=True)
class Unplaced:
    """An unplaced applicant's reason: its code and the test items it names, in order."""

    code: Reason
    items: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, str | list[str]]:
        """The JSON form, as stored with a distribution: ``{"code": ..., "items": [...]}``."""
        return {"code": self.code.value, "items": list(self.items)}

    def __str__(self) -> str:
        return self.code.value + (f" ({', '.join(self.items)})" if self.items else "")
