"""Start Kindred: ``python -m ui``, and the entry script of the installed bundle.

Kept tiny on purpose: everything, ``--self-test`` included, is handled by :func:`ui.app.main`.
"""

from __future__ import annotations

from ui.app import main

if __name__ == "__main__":
    raise SystemExit(main())
