"""Ground motion at a site from an earthquake: median PGA, PGV and Sa(1.0 s).

Ground motion (earthquakes)
    Boore & Atkinson (2008), "Ground-motion prediction equations for the average horizontal
    component of PGA, PGV, and 5%-damped PSA at spectral periods between 0.01 s and 10.0 s",
    *Earthquake Spectra* 24(1), 99–138 ("BA08", an NGA-West1 model): median PGA and
    Sa(1.0 s) in g, PGV in cm/s, from moment magnitude, Joyner–Boore distance and Vs30;
    unspecified mechanism; coefficients from tables 3, 6, 7 (as tabulated in OpenQuake's
    ``boore_atkinson_2008.py``). We use medians (no ground-motion scatter): the randomness is
    in the damage draws. For a point source R_JB is approximated as the epicentral distance
    minus half the subsurface rupture length of Wells & Coppersmith (1994, BSSA 84(4),
    all slip types: log10 L = −2.44 + 0.59 M), i.e. a rupture pointing at the site
    (conservative). BA08 is fitted to shallow crustal events; it does not use focal depth
    (``depth_km`` only triggers a note when deeper than 25 km).

"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

VS30_M_S = 500.0
"""Site Vs30 (m/s) used everywhere: NEHRP class C, "very dense soil and soft rock" — an
assumption for Chongqing's urban core, built on Jurassic red-bed sandstone/mudstone under
thin fill."""

BA08: dict[str, dict[str, float]] = {
    # Boore & Atkinson (2008) tables 6/7 (unspecified mechanism: e1 = e_U) and table 3 (site).
    "pgv": dict(
        c1=-0.87370,
        c2=0.10060,
        c3=-0.00334,
        h=2.54,
        e1=5.00121,
        e5=0.18322,
        e6=-0.12736,
        e7=0.00000,
        mh=8.50,
        blin=-0.60,
        b1=-0.50,
        b2=-0.06,
    ),
    "pga": dict(
        c1=-0.66050,
        c2=0.11970,
        c3=-0.01151,
        h=1.35,
        e1=-0.53804,
        e5=0.28805,
        e6=-0.10164,
        e7=0.00000,
        mh=6.75,
        blin=-0.36,
        b1=-0.64,
        b2=-0.14,
    ),
    "sa1": dict(
        c1=-0.81830,
        c2=0.10270,
        c3=-0.00334,
        h=2.54,
        e1=-0.46896,
        e5=0.67880,
        e6=-0.18257,
        e7=0.05393,
        mh=6.75,
        blin=-0.70,
        b1=-0.44,
        b2=0.00,
    ),
}
"""BA08 coefficients for PGV (cm/s), PGA (g) and Sa(1.0 s) (g)."""


def rupture_length_km(magnitude: float) -> float:
    """Subsurface rupture length (km), Wells & Coppersmith (1994), all slip types."""
    return 10.0 ** (-2.44 + 0.59 * magnitude)


def joyner_boore_km(epicentral_km: np.ndarray, magnitude: float) -> np.ndarray:
    """Approximate R_JB (km) of a point source: epicentral distance less half the rupture."""
    return np.maximum(np.asarray(epicentral_km, float) - rupture_length_km(magnitude) / 2, 0.0)


def _ba08_source_path(c: dict[str, float], magnitude: float, rjb_km: np.ndarray) -> np.ndarray:
    dm = magnitude - c["mh"]
    fm = c["e1"] + (c["e5"] * dm + c["e6"] * dm**2 if dm <= 0 else c["e7"] * dm)
    r = np.sqrt(np.asarray(rjb_km, float) ** 2 + c["h"] ** 2)
    fd = (c["c1"] + c["c2"] * (magnitude - 4.5)) * np.log(r) + c["c3"] * (r - 1.0)
    return fm + fd


def _ba08_nonlinear_slope(c: dict[str, float], vs30: float) -> float:
    v1, v2, vref = 180.0, 300.0, 760.0
    if vs30 <= v1:
        return c["b1"]
    if vs30 <= v2:
        return (c["b1"] - c["b2"]) * math.log(vs30 / v2) / math.log(v1 / v2) + c["b2"]
    if vs30 < vref:
        return c["b2"] * math.log(vs30 / vref) / math.log(v2 / vref)
    return 0.0


def _ba08_site(c: dict[str, float], vs30: float, pga4nl: np.ndarray) -> np.ndarray:
    """Site amplification (ln units): linear + nonlinear terms, BA08 eqs. 6–13."""
    bnl = _ba08_nonlinear_slope(c, vs30)
    a1, a2, pga_low = 0.03, 0.09, 0.06
    dx = math.log(a2 / a1)
    dy = bnl * math.log(a2 / pga_low)
    cc = (3 * dy - bnl * dx) / dx**2
    dd = -(2 * dy - bnl * dx) / dx**3
    x = np.log(np.maximum(pga4nl, 1e-12) / a1)
    fnl = np.where(
        pga4nl <= a1,
        bnl * math.log(pga_low / 0.1),
        np.where(
            pga4nl <= a2,
            bnl * math.log(pga_low / 0.1) + cc * x**2 + dd * x**3,
            bnl * np.log(np.maximum(pga4nl, 1e-12) / 0.1),
        ),
    )
    return c["blin"] * math.log(vs30 / 760.0) + fnl


def ground_motion(
    magnitude: float, rjb_km: np.ndarray, vs30: float = VS30_M_S
) -> dict[str, np.ndarray]:
    """Median shaking at Joyner–Boore distances ``rjb_km``: ``pga`` (g), ``pgv`` (cm/s),
    ``sa1`` (Sa at 1.0 s, g), by Boore & Atkinson (2008)."""
    rjb = np.asarray(rjb_km, float)
    pga4nl = np.exp(_ba08_source_path(BA08["pga"], magnitude, rjb))
    return {
        k: np.exp(_ba08_source_path(c, magnitude, rjb) + _ba08_site(c, vs30, pga4nl))
        for k, c in BA08.items()
    }


@dataclass(frozen=True)
class Shaking:
    """Median shaking at a set of points: PGA and Sa(1 s) in g, PGV in cm/s, R_JB in km."""

    pga: np.ndarray
    pgv: np.ndarray
    sa1: np.ndarray
    rjb_km: np.ndarray


def shaking_at(xy: np.ndarray, epicentre_xy: np.ndarray, magnitude: float) -> Shaking:
    """Median ground motion at points ``xy`` (metres, city CRS) from an epicentre."""
    xy = np.asarray(xy, float).reshape(-1, 2)
    epi_km = np.hypot(*(xy - np.asarray(epicentre_xy, float)).T) / 1000.0
    rjb = joyner_boore_km(epi_km, magnitude)
    gm = ground_motion(magnitude, rjb)
    return Shaking(gm["pga"], gm["pgv"], gm["sa1"], rjb)
