"""Correspondence without leaving Kindred.

- :mod:`crm.correspondence.letters`: Word letters and A4 address labels from the team's own
  templates, for the people of a filter or saved view, with the mail-merge export's post rules;
  each letter logged as an interaction, undoable as a batch (:mod:`crm.correspondence.batches`).
- :mod:`crm.correspondence.emails`: saved emails (.eml, Outlook .msg) logged as interactions.
- :mod:`crm.correspondence.calendar`: events and follow-ups as .ics.
- :mod:`crm.correspondence.mailto`: "Email these people…" links in Bcc batches.

Third-party readers and writers (docx-mailmerge2, python-docx, extract-msg, icalendar) are imported
where they are used, so starting Kindred does not pay for them.
"""

from __future__ import annotations
