"""briefing.html: the answer on page 1 (words and numbers with intervals), then the map,
then the tables, then a short appendix (settings, versions); prints to two A4 pages.

Built with Jinja2 (autoescape on) from ``twin/viz/templates/briefing.html.j2``. The map is
map.png (made first if missing), embedded as a data URI so the page prints alone; the live
map is a link to map.html beside it, not a second copy. Districts are listed in the one
order of :func:`twin.viz.data.district_order`. ``lang``: ``"both"`` (default), ``"en"`` or
``"zh"`` for the headings; the answer is given in English and Chinese unless one is chosen.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape

import twin.viz.style as style
from twin.model.city import City
from twin.viz.answer import headline, headline_zh, share
from twin.viz.data import (
    RunData,
    city_compliance,
    district_compliance,
    district_order,
    read_results,
)
from twin.viz.export import heading, write_map
from twin.viz.safe import png_data_uri, write_text

LANGS = ("both", "en", "zh")
LABELS: dict[str, tuple[str, str]] = {
    "briefing": ("briefing", "简报"),
    "question": ("Question", "问题"),
    "answer": ("Answer", "结论"),
    "worst": ("Worst districts", "达标率最低的区"),
    "all_met": ("Every district met the target for every incident.", "各区全部达标。"),
    "map": ("Map", "地图"),
    "live_map": ("Interactive map with every layer:", "交互地图："),
    "districts": ("Districts, worst first", "各区（由差到好）"),
    "order": (
        "Order: lowest share met first; ties by slower p90, then more incidents, then "
        "district code.",
        "排序：达标率由低到高；相同时按 p90 由慢到快，再按事件数、区划代码。",
    ),
    "scope": ("District", "区县"),
    "incidents": ("Incidents", "事件数"),
    "met": ("Share met", "达标率"),
    "interval": ("95 % interval", "95% 区间"),
    "targets": ("City-wide targets", "全市目标"),
    "target": ("Target", "目标"),
    "appendix": ("Appendix: settings and versions", "附录：设置与版本"),
    "versions": ("Versions", "版本"),
}
TARGET_NAMES = {
    "10min": ("community on scene ≤ 10 min", "社区 10 分钟"),
    "30min": ("ground rescue ≤ 30 min", "地面救援 30 分钟"),
    "60min": ("air rescue ≤ 60 min", "航空救援 60 分钟"),
}


def labels(lang: str) -> dict[str, str]:
    """The template's headings in ``lang`` (both: "English 中文")."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, not {lang!r}")
    i = {"en": 0, "zh": 1}.get(lang)
    out = {k: (v[i] if i is not None else f"{v[0]} {v[1]}") for k, v in LABELS.items()}
    out["html_lang"] = "en" if lang == "en" else "zh-CN"
    return out


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The Jinja2 environment (package templates, autoescape on for .j2 HTML)."""
    return Environment(
        loader=PackageLoader("twin.viz", "templates"),
        autoescape=select_autoescape(["html", "j2"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def write_briefing(
    results_dir: str | Path,
    city: City,
    *,
    target: str = "30min",
    browser: bool = True,
    lang: str = "both",
    other: str | Path | None = None,
) -> Path:
    """Write ``briefing.html`` (making map.html and map.png first if map.png is missing).

    ``other``: a second results folder to answer against ("… against 1 of 8 in …").
    """
    run = read_results(results_dir)
    png_path = run.folder / "map.png"
    if not png_path.exists():
        write_map(run.folder, city, target=target, browser=browser)
    other_run = read_results(other) if other is not None else None
    out = run.folder / "briefing.html"
    uri = png_data_uri(png_path) if png_path.exists() else ""
    write_text(out, briefing_html(city, run, uri, target=target, lang=lang, other=other_run))
    return out


def briefing_html(
    city: City,
    run: RunData,
    png_uri: str,
    *,
    target: str = "30min",
    lang: str = "both",
    other: RunData | None = None,
) -> str:
    """The briefing document (see module docstring)."""
    t = labels(lang)
    raw = run.summary.get("scenario")
    scen: dict[str, Any] = raw if isinstance(raw, dict) else {}
    meta = [
        f"seed {run.seed or '—'}",
        f"run started {run.started or '—'}",
        f"city: {city.name}",
        f"{len(run.incidents):,} incidents",
    ]
    days = style.number(scen.get("days"))
    if days is not None:
        meta.insert(0, f"{days:g} simulated day{'s' if days != 1 else ''}")
    return (
        environment()
        .get_template("briefing.html.j2")
        .render(
            t=t,
            title=heading(city, run),
            meta=meta,
            font=style.FONT_STACK,
            question=str(scen.get("description") or ""),
            answer_en=headline(run, other, target) if lang != "zh" else [],
            answer_zh=headline_zh(run, target) if lang != "en" else [],
            worst=worst_districts(city, run, target),
            png_uri=png_uri,
            has_replay=(run.folder / "replay.html").exists(),
            target_label=target_name(target, lang),
            rows=district_rows(city, run, target),
            city_rows=city_rows(run, lang),
            settings=settings(run.summary),
            versions=", ".join(f"{k} {v}" for k, v in (run.summary.get("versions") or {}).items()),
        )
    )


def target_name(target: str, lang: str) -> str:
    """``"ground rescue ≤ 30 min"`` in ``lang``."""
    en, zh = TARGET_NAMES.get(target, (target, target))
    return {"en": en, "zh": zh}.get(lang, f"{en} {zh}")


def district_names(city: City) -> dict[str, str]:
    """district_id → "渝中区 Yuzhong"."""
    d = city.districts
    return {str(i): f"{n} {e}" for i, n, e in zip(d["district_id"], d["name"], d["name_en"])}


def worst_districts(city: City, run: RunData, target: str, n: int = 3) -> list[str]:
    """Up to ``n`` districts that missed the target at least once, worst first."""
    names = district_names(city)
    comp = district_compliance(run.compliance, target)
    out: list[str] = []
    for did in district_order(run.compliance, target):
        r = comp.loc[[did]].iloc[0]
        sh, cnt = style.number(r["met_share"]), style.number(r["count"]) or 0
        if cnt > 0 and sh is not None and sh < 1.0 and len(out) < n:
            out.append(
                f"{names.get(did, did)} {style.percent(sh)} of {int(cnt):,} "
                f"(p90 {style.minutes(style.number(r['p90_s']))})"
            )
    return out


def _row(name: str, r: pd.Series, cls: str = "") -> dict[str, str]:
    n = int(style.number(r["count"]) or 0)
    sh = style.number(r["met_share"])
    s = share(round((sh or 0.0) * n), n)
    return {
        "name": name,
        "cls": cls,
        "count": f"{n:,}",
        "share": style.percent(sh),
        "color": style.css(style.ramp(sh)),
        "interval": f"{style.percent(s.low)}–{style.percent(s.high)}" if n else "—",
        "p50": style.minutes(style.number(r["p50_s"])),
        "p90": style.minutes(style.number(r["p90_s"])),
    }


def district_rows(city: City, run: RunData, target: str) -> list[dict[str, str]]:
    """The city row, then each district with incidents, in :func:`district_order`."""
    names = district_names(city)
    rows = []
    cityrows = city_compliance(run.compliance)
    if target in cityrows.index:
        rows.append(_row("City 全市", cityrows.loc[[target]].iloc[0], "city"))
    comp = district_compliance(run.compliance, target)
    for did in district_order(run.compliance, target):
        r = comp.loc[[did]].iloc[0]
        if (style.number(r["count"]) or 0) > 0:
            rows.append(_row(names.get(did, did), r))
    return rows


def city_rows(run: RunData, lang: str) -> list[dict[str, str]]:
    """One row per target (10, 30, 60 min), city-wide."""
    rows = city_compliance(run.compliance)
    return [
        _row(target_name(tg, lang), rows.loc[[tg]].iloc[0])
        for tg in style.TARGETS
        if tg in rows.index
    ]


def settings(summary: dict) -> list[tuple[str, str]]:
    """The scenario's settings that are set (empty lists, tables and nulls left out)."""
    scen = summary.get("scenario")
    if not isinstance(scen, dict):
        return []
    out: list[tuple[str, str]] = []
    for k, v in _flatten(scen):
        if v in (None, "", [], {}) or k in ("name", "description"):
            continue
        if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            v = (
                f"{len(v)} entries: "
                + "; ".join(
                    str(
                        x.get("label")
                        or x.get("name")
                        or x.get("station_id")
                        or x.get("type")
                        or ""
                    )
                    for x in v[:4]
                )
                + (" …" if len(v) > 4 else "")
            )
        out.append((k, v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)))
    return out


def _flatten(d: dict, prefix: str = "") -> list[tuple[str, object]]:
    out: list[tuple[str, object]] = []
    for k, v in d.items():
        if isinstance(v, dict) and v:
            out += _flatten(v, f"{prefix}{k}.")
        else:
            out.append((f"{prefix}{k}", v))
    return out
