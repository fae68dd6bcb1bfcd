#!/usr/bin/env python
"""Build the embedded default twin ``geodata/chongqing/`` (= ``twin/data/chongqing``) from
``geodata/sources/`` (= ``twin/data/sources``, package data).

Usage::

    python geodata/build.py [--out geodata/chongqing] [--seed 2020]

The build itself lives in the package, one module per step (``twin/build/``), so an
installed wheel can build a twin too: ``python -m twin.build --out DIR``.
"""

from pathlib import Path

from twin.build.driver import main

if __name__ == "__main__":
    raise SystemExit(main(default_out=Path(__file__).resolve().parent / "chongqing"))
