"""Scenario sections for the roads' traffic: fog (``[[fog]]``) and the traffic model
(``[traffic]``); see :mod:`twin.hazards.regimes` and :mod:`twin.model.traffic`."""

from __future__ import annotations

from typing import Literal

from twin.scenario.ranges import ranged
from twin.scenario.spec_base import Float, Spec


class Fog(Spec):
    """Fog over an area (district ids/names; empty = whole city): visibility (m) under 1 km
    slows traffic and cuts road capacity (see twin.hazards.regimes)."""

    start_h: Float = ranged("fog.start_h", default=0.0)
    duration_h: Float = ranged("fog.duration_h")
    visibility_m: Float = ranged("fog.visibility_m", default=200.0)
    districts: tuple[str, ...] = ()


class TrafficModel(Spec):
    """Road congestion: ``assigned`` (background traffic assigned to the roads per period,
    re-assigned under closures and weather: twin.model.traffic) or ``table`` (default for
    now: the fixed peak factors of twin.model.roads.CONGESTION; on the embedded twin's
    roads, mostly one-lane local streets, the assigned peak is implausibly congested until
    lane data or an independent congestion figure calibrates it — see the README)."""

    model: Literal["assigned", "table"] = "table"
