"""The secondary pages the main window's sidebar shows: organisations, networks, events,
interactions, follow-ups and the Trash.

Each page is a ``QWidget`` built as ``XxxPage(runner, parent)``, reloads with ``refresh()`` and
emits ``person_activated(person_id)`` when the user opens a person.
"""
