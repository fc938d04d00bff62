"""Saved views: a named choice of columns, widths, sort, filters and search over one list
(dossiers, contacts, …), made by an administrator for everybody (system), for oneself
(personal) or shared with chosen colleagues (seed 001 §1.2 "Affichage", §4.1)."""
