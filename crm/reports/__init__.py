"""Figures for the dashboard and the Excel reports: SQL aggregates (no Qt) and report writers."""

from crm.reports.period import PRESETS, Period

__all__ = ["PRESETS", "Period"]
