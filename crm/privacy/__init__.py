"""Data protection (UK GDPR and PECR) that a user can reach.

- :mod:`crm.privacy.settings`: values kept in the database (retention period, suppression key).
- :mod:`crm.privacy.suppression`: the suppression list: see, add, remove, and match hashed entries.
- :mod:`crm.privacy.erasure`: "forget me": the person and their personal data removed everywhere.
- :mod:`crm.privacy.subject_access`: "what do you hold on me?" as a workbook.
- :mod:`crm.privacy.retention`: who is due for review, keep for another period.
- :mod:`crm.privacy.history`: every record's history, with who did it and from which source.

Like the services, every function takes the caller's Session and leaves committing to the caller.
"""
