"""The timeline (chronologie) of a dossier: notes, phone calls and appointments recorded by
people (models, commands), read together with the dossier's e-mails, tasks and phases (queries)."""
