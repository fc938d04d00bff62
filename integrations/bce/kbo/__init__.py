"""The KBO open-data dump (the public monthly set of CSV files of the BCE): reading it
(reader.py), its format and checks (format.py), importing it (importer.py), the lookup rows
rebuilt from it (lookup_rows.py) and a generator of synthetic sets (generator.py). docs/kbo.md
tells how to use them."""
