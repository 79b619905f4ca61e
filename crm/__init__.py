"""Kindred core: data model, migrations, services, import/export and the command line.

Nothing in this package imports Qt; ``tests/crm/test_layering.py`` proves it.
"""

__version__ = "0.1.0"
APP_NAME = "Kindred"
