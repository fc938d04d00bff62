"""The Banque-Carrefour des Entreprises (BCE / KBO): looking an enterprise up by its number.

``EnterpriseLookup`` is the interface; ``LocalDatabaseLookup`` (the embedded default) reads the
``bce_enterprises`` table, the lookup rows the KBO open-data importer (integrations/bce/kbo)
rebuilds from the monthly and daily sets; the shipped sample set is one of them. The
service-task operator ``bce.lookup`` returns the record as JSON.
"""

from __future__ import annotations

from integrations.bce.lookup import EnterpriseLookup, EnterpriseNotFound, EnterpriseRecord, LocalDatabaseLookup
from integrations.bce.operators import register
from integrations.bce.sample import load_sample

__all__ = ["EnterpriseLookup", "EnterpriseNotFound", "EnterpriseRecord", "LocalDatabaseLookup", "load_sample",
           "register"]
