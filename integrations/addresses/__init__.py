"""The address register: an embedded copy of the buildings and addresses register, imported from
a file (Guichet's own CSV, or a BeST address extract). ``sample/`` holds a small demo extract."""
