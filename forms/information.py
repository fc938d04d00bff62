"""Forms of the Information dossier (seed 001 §5.4.1). Placeholder set, completed in webapp work."""
