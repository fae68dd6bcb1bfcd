"""Air rescue requested from the scene.

Besides the types that call air rescue at the alarm (``IncidentType.air_prob``), the first
ground crew on scene may ask for a helicopter (``IncidentType.air_scene_prob``, drawn with
the incident). The request is made ``AirLimits.scene_request_s`` after that crew's arrival
(size-up and the call through the 119 centre; assumption 300 s, range 120–900 s), counts
from then (``air_request_s`` in the incidents table) and is refused, like any request, if
helicopters are grounded at that moment (dark or fog: :class:`twin.sim.params.AirLimits`).
The 60-minute target is still measured from the alarm.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import simpy


class AirCall(Protocol):
    """The fields of an incident a scene request reads and sets."""

    cleared: bool
    air: bool
    air_request_s: float


def request_air_from_scene(
    env: simpy.Environment, inc: Any, delay_s: float, send: Callable[[Any], None]
) -> None:
    """The first ground crew at ``inc`` asks for air rescue ``delay_s`` after now (its
    arrival): unless the incident was cleared or air was already called by then, mark it
    as an air call, note the time and ``send`` the request."""

    def request(ev: simpy.Event) -> None:
        call: AirCall = inc
        if call.cleared or call.air:
            return
        call.air = True
        call.air_request_s = env.now
        send(inc)

    env.timeout(delay_s).callbacks.append(request)
