"""Representatives stay current: read official rosters, reconcile them with the database, undo.

- :mod:`crm.roster.readers`: ``read_roster`` for EveryPolitician CSV and Popolo JSON, the UK
  Parliament Members API's JSON and any spreadsheet of members;
- :mod:`crm.roster.chambers` and :mod:`crm.roster.names`: chamber names and member names normalised;
- :mod:`crm.roster.reconcile`: ``plan_refresh`` (the dry run), ``refresh_roster`` (one batch in one
  transaction) and ``undo_refresh``;
- :mod:`crm.roster.current`: who is a current or a former member, for filters, lists, salutations
  and exports.

Submodules are imported where used (the filters need ``current`` without the whole engine).
"""
