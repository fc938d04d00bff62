"""The Banque-Carrefour des Entreprises (BCE / KBO): looking an enterprise up by its number.

``EnterpriseLookup`` is the interface; ``LocalDatabaseLookup`` (the embedded default) reads the
``bce_enterprises`` table, filled from the sample in integrations/bce/sample/ (later from the
monthly KBO open-data dump). The service-task operator ``bce.lookup`` returns the record as JSON.
"""

from __future__ import annotations

from integrations.bce.lookup import EnterpriseLookup, EnterpriseNotFound, EnterpriseRecord, LocalDatabaseLookup
from integrations.bce.operators import register
from integrations.bce.sample import load_sample

__all__ = ["EnterpriseLookup", "EnterpriseNotFound", "EnterpriseRecord", "LocalDatabaseLookup", "load_sample",
           "register"]
