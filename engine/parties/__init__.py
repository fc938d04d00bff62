"""Parties of a dossier: contacts (people), organisations, and their involvement in dossiers."""
