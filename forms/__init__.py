"""Task forms: one marshmallow schema per form key, with field metadata for rendering.

``forms.registry`` is the process-wide registry; importing ``forms.catalog`` registers every form
that ships with Guichet.
"""

from forms.registry import FieldSpec, FormDefinition, FormRegistry, field, registry

__all__ = ["FieldSpec", "FormDefinition", "FormRegistry", "field", "registry"]
