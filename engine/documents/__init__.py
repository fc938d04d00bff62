"""Files of a dossier's journey: folders and file rows. The content itself lives in a blob store
(integrations/documents), stored once per SHA-256 checksum."""
