"""``python -m twin.build --out DIR [--seed N]``: build the embedded twin into DIR."""

from twin.build.driver import main

raise SystemExit(main())
