"""The syndics' and building managers' side: organisation memberships (manager, administrative
or technical responsible), per-member restrictions by building and function, the buildings an
organisation was granted, tools and accreditations, terms acceptance, portal access requests.

:mod:`engine.portal.access` is the one place that says what a member may see and do."""
