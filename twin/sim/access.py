"""The last stretch into flood water: by vehicle, by boat or on foot, or not at all.

A flood incident (:mod:`twin.hazards.flood_depth`) sits at its *access node*, the nearest
road node still open to traffic, ``access_m`` metres (along the way) from the flooded
place, where the water stands ``depth_m`` deep. Road units drive to the access node as to
any scene; then each unit's crew covers the last stretch by the fastest means it has:

- **drive** on, if the water is no deeper than its vehicle's wading limit
  (:data:`WADING_LIMIT_M`, by vehicle kind), at :data:`WADE_DRIVE_M_S`;
- **boat**, if it carries one (:data:`BOAT_KINDS`: the social rescue teams — water rescue
  is their main trade — and the fire service's rescue vehicles), after
  :data:`BOAT_LAUNCH_S` to launch, at :data:`BOAT_M_S`;
- **on foot**, wading, if the water is no deeper than :data:`FOOT_WADING_M`, at
  :data:`WADE_WALK_M_S` (community responders come on foot all the way);
- none of these: the crew stays at the water's edge (it counts as on scene — it guides,
  pumps and supports — but it has not *reached* the place: ``reached_s`` waits for a unit
  that can).

Helicopters hoist from above: they reach the place when they arrive. Every number here is
an assumption with a range, recorded in docs/calibration.md; none could be checked against
a manufacturer's or a standard's figure offline.
"""

from __future__ import annotations

WADING_LIMIT_M: dict[str, float] = {
    "water_tender": 0.6,
    "rescue": 0.6,
    "aerial": 0.4,
    "command": 0.3,
    "": 0.3,
}
"""Depth of still water (m) each vehicle kind may drive through (assumption): heavy fire
appliances with high ground clearance 0.6 m (range 0.4–0.8), aerial ladders 0.4 m (long
overhangs, 0.3–0.5), command cars and the vans and pick-ups of professional and social
teams (kind ``""``) 0.3 m (0.2–0.4), about what ordinary traffic can ford
(:data:`twin.hazards.flood_depth.TRAFFIC_WADING_M`)."""
FOOT_WADING_M = 0.5
"""Depth (m) a responder wades on foot (assumption, range 0.4–0.7: about knee to thigh
height; deeper, or in a current, people lose their footing)."""
BOAT_KINDS: frozenset[str] = frozenset({"social", "fire:rescue"})
"""Units that bring a boat: every social team unit, and fire rescue vehicles
(``fire:<kind>``; assumption: inflatable boats are part of water-rescue kits)."""
WADE_DRIVE_M_S = 2.0
"""Speed driving through water (m/s; 7 km/h, slow enough not to raise a bow wave;
assumption, range 1–3)."""
WADE_WALK_M_S = 0.5
"""Speed wading on foot (m/s; assumption, range 0.3–0.8)."""
BOAT_M_S = 2.0
"""Speed of an inflatable rescue boat in flooded streets (m/s; assumption, range 1–4:
obstacles, cars and debris keep it far below open-water speed)."""
BOAT_LAUNCH_S = 600.0
"""Time to unload, inflate and launch a boat (s; assumption, range 5–20 min)."""


def last_leg(
    depth_m: float, access_m: float, force: str, kind: str, mode: str
) -> tuple[float, str]:
    """Seconds for a unit of ``force`` (vehicle ``kind``, movement ``mode``) to cover the
    last ``access_m`` metres into water ``depth_m`` deep, and the means (``drive``,
    ``boat``, ``foot``, ``air``, ``edge``: cannot reach, 0 s). No water: (0, ``drive``)."""
    if mode == "air":
        return 0.0, "air"
    if access_m <= 0 and depth_m <= 0:
        return 0.0, "foot" if mode == "foot" else "drive"
    options: list[tuple[float, str]] = []
    if mode == "road" and depth_m <= WADING_LIMIT_M.get(kind, WADING_LIMIT_M[""]):
        options.append((access_m / WADE_DRIVE_M_S, "drive"))
    if force in BOAT_KINDS or f"{force}:{kind}" in BOAT_KINDS:
        options.append((BOAT_LAUNCH_S + access_m / BOAT_M_S, "boat"))
    if depth_m <= FOOT_WADING_M:
        options.append((access_m / WADE_WALK_M_S, "foot"))
    if not options:
        return 0.0, "edge"
    return min(options)


def reaches(means: str) -> bool:
    """Whether a unit that came by ``means`` reached the place (not stopped at the edge)."""
    return means != "edge"
