"""The organisation wallet: a prepaid account per organisation, kept as an append-only ledger
(``wallet_entries``); the balance is the sum of the entries, never a column edited in place."""
