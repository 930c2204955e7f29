"""ALLOCATION.md §7 item 2: the review queue of accounts held for a person to place.

Each held account waits with a suggestion: the rep §2 would pick for it after every other
account, as if the greedy went on with the held accounts in processing order (so two big
accounts are not both suggested to the same rep when that would unbalance the books). Reps
still ramping (Ramp < 100) are never suggested, and a rep at a cap cannot take it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .allocation import Allocation, RepTotals, inputs_of, score_step
from .dataset import Dataset
from .rules import FULL_RAMP, HOLD
from .scoring import winner_index


@dataclass(frozen=True)
class HeldAccount:
    account: int             # index in input order
    segment: str
    suggested: int | None    # global rep index, None when no fully ramped rep can take it


def review_queue(dataset: Dataset, allocation: Allocation) -> list[HeldAccount]:
    """Every held account of `allocation`, segment by segment in processing order, with its
    suggested rep given the allocation's final books."""
    queue = []
    for name, segment in allocation.segments.items():
        inputs = inputs_of(dataset, allocation, name)
        held = np.flatnonzero(inputs.preset == HOLD)
        if len(held) == 0:
            continue
        state = RepTotals(list(segment.rep_arr), [int(c) for c in segment.rep_accounts], list(segment.rep_risk))
        for position in held:
            scores = [s for s in score_step(inputs, allocation.settings, state, int(position))
                      if s.fits and inputs.ramp[s.rep] == FULL_RAMP]
            local = scores[winner_index(scores)].rep if scores else None
            if local is not None:
                state.add(local, float(inputs.arr[position]), bool(inputs.high[position]))
            queue.append(HeldAccount(int(inputs.accounts[position]), name,
                                     None if local is None else int(inputs.reps[local])))
    return queue
