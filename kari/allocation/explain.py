"""Explanations: why an applicant did not get a programme ranked higher (A27.2, A27.9).

For every programme ranked above the one obtained (every listed programme
when unassigned) the explanation is either ``no_places`` (capacity 0) or
``below_cutoff`` with the programme's cut-off (lowest admitted score) and the
applicant's score for it, which is strictly lower.

JSON shape, per applicant id (an empty list when the first choice was obtained)::

    [{"programme": "P3", "reason": "below_cutoff", "cutoff": 22, "score": 21},
     {"programme": "P2", "reason": "no_places"}]
"""

from __future__ import annotations

import numpy as np

from kari.allocation.instance import Instance

__all__ = ["explanation_arrays"]


def explanation_arrays(
    instance: Instance, pos: np.ndarray, cutoff: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """CSR explanation arrays from each applicant's obtained position ``pos``.

    ``pos[a]`` is the index into ``instance.prefs`` of the programme obtained,
    or ``offsets[a + 1]`` when unassigned; entries ``offsets[a]:pos[a]`` are
    the programmes ranked above it.
    """
    offsets = instance.offsets
    counts = pos - offsets[:-1]
    expl_offsets = np.zeros_like(offsets)
    np.cumsum(counts, out=expl_offsets[1:])
    index = np.repeat(offsets[:-1] - expl_offsets[:-1], counts)
    index += np.arange(expl_offsets[-1], dtype=np.int64)
    programme = instance.prefs[index]
    no_places = instance.capacity[programme] == 0
    expl_cutoff = np.where(no_places, np.nan, cutoff[programme])
    expl_score = np.where(no_places, np.nan, instance.scores[index])
    return expl_offsets, programme, no_places, expl_cutoff, expl_score
