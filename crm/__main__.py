"""``python -m crm`` runs the headless command line."""

from crm.cli import main

raise SystemExit(main())
