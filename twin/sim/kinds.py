"""Fire vehicle kinds, the kinds each station class holds and the first assignment by kind.

A Chinese fire station holds vehicles of a few kinds: water tenders (水罐/泡沫消防车, the
"main battle" engines), rescue vehicles (抢险救援消防车), aerial platforms or ladders
(登高平台/云梯消防车, needed for a fire in a high-rise building) and command vehicles
(通信指挥消防车). A station's vehicles follow from its class (建标152-2017 garage bays,
:func:`twin.sim.params.station_class`) by a fill order that is a **stated assumption**
(:data:`twin.sim.params.CLASS_KINDS`): water tenders first, then a rescue vehicle, an
aerial unit, a command vehicle, and more of each as bays allow. The resulting mix per
class (bays incl. one spare; vehicles = bays − 1):

=========  ======  ========  =============================================
class      bays    vehicles  kinds (assumption)
=========  ======  ========  =============================================
小型站      ≤ 2     1         1 water tender
二级普通站   3–4     2–3       2 water tenders (+ 1 rescue at 4 bays)
一级普通站   5–7     4–6       2–3 water tenders, 1 rescue, 1 aerial (+ command at 6+)
特勤站      8–11    7–10      3–4 water tenders, 1–2 rescue, 2 aerial, 1–2 command
=========  ======  ========  =============================================

The **first assignment** (出动编成) of an incident type is a list of (kind, count)
(:data:`twin.sim.params.FIRST_ASSIGNMENT_KINDS`; ``any`` = whatever fire vehicle is
free and nearest). Each vehicle of a kind goes to the nearest station with a free vehicle
of that kind, so the nearest stations send what they have and the rest comes from the
next — if it can arrive within the force's target; else the nearest free vehicle of any
kind goes in its place (:meth:`twin.sim.dispatch.Dispatcher.pick_kind`). A kind the city's
fleet holds none of (not even busy) is replaced by ``any``: the stations send what they
have. When no vehicle of any kind is free, a request for a kind waits for a vehicle of that
kind (:mod:`twin.sim.queues`).
"""

from __future__ import annotations

import numpy as np

from twin.sim.params import FIRST_ASSIGNMENT_KINDS, vehicle_kinds

KINDS: tuple[str, ...] = ("water_tender", "rescue", "aerial", "command")
"""Fire vehicle kinds; their codes are indices. ``ANY`` (−1) is a request any kind serves."""
ANY = -1
KIND_CODE: dict[str, int] = {k: i for i, k in enumerate(KINDS)}


def kind_codes(unit_kind: np.ndarray | None, n_units: int) -> np.ndarray:
    """Kind code per unit (−1 for units without a kind, i.e. other forces)."""
    out = np.full(n_units, ANY, np.int64)
    if unit_kind is not None:
        for i, k in enumerate(unit_kind.tolist()):
            out[i] = KIND_CODE.get(str(k), ANY)
    return out


def assignment_kinds(type_name: str, count: int) -> list[str]:
    """The kinds of the ``count`` fire vehicles a type's first assignment sends, in order
    (the table's, cut or padded with ``any`` when ``count`` differs from it)."""
    table = [k for k, n in FIRST_ASSIGNMENT_KINDS.get(type_name, ()) for _ in range(n)]
    return (table + ["any"] * count)[:count]


def resolve(kinds: list[str], kind_total: np.ndarray | None) -> list[int]:
    """Kind codes to request: a kind the fleet holds none of becomes :data:`ANY`."""
    if kind_total is None:
        return [ANY] * len(kinds)
    out = []
    for k in kinds:
        c = KIND_CODE.get(k, ANY)
        out.append(c if c >= 0 and kind_total[c] > 0 else ANY)
    return out


def serves(request: int, unit_kind: int) -> bool:
    """Can a vehicle of ``unit_kind`` serve a request for ``request``?"""
    return request == ANY or request == unit_kind


def kind_mix(units: int) -> dict[str, int]:
    """Vehicles per kind of a station with ``units`` vehicles (for the docs and tests)."""
    mix = {k: 0 for k in KINDS}
    for k in vehicle_kinds(units):
        mix[k] += 1
    return mix
