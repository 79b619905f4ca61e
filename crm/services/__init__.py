"""Kindred's service layer: the only code that changes data. Every function takes the caller's Session."""

from crm.services import consent, events, interactions, networks, organisations, people, tags, trash, views

__all__ = [
    "consent",
    "events",
    "interactions",
    "networks",
    "organisations",
    "people",
    "tags",
    "trash",
    "views",
]
