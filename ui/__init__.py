"""Kindred's Qt desktop application. Thin: it calls :mod:`crm` services and shows their results."""
