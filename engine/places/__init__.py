"""Places: addresses from the address register, their details (parcel, housing and building data),
EPC records, and the site address of a dossier's journey."""
