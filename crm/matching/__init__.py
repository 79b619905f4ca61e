"""Matching people and organisations: the one set of rules behind the importer's duplicate check
and the duplicate finder.

- :mod:`crm.matching.keys`: normalised keys (folded names, organisation keys, postcodes, phones,
  emails, nicknames, phonetic codes).
- :mod:`crm.matching.scorer`: how alike two records are, from 0 to 1, with reasons in plain words.
- :mod:`crm.matching.finder`: candidate pairs by blocking in SQL, then scored.
"""
