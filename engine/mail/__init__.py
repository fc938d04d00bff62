"""E-mails as work items: received into the central queue, dispatched, linked to dossiers."""
