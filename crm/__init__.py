"""Kindred core: data model, migrations, services, import/export and the command line.

Nothing in this package imports Qt; ``tests/crm/test_layering.py`` proves it.
"""

import os as _os

__version__ = "0.1.0"
APP_NAME = "Kindred"

# python-docx and docx-mailmerge2 (letters) bring lxml, and openpyxl switches to lxml whenever it is
# installed: it then writes an uncalculated formula as <v></v>, which reads as a blank answer, not
# a missing one. Kindred keeps openpyxl on its own XML code, as tested; set before openpyxl loads.
_os.environ.setdefault("OPENPYXL_LXML", "False")
