"""Climate dossiers. This first slice has the dossier itself; types, subtypes, journeys,
involved parties and views come with issue 3."""
