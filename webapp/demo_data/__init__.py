"""The realistic demo set of ``guichet demo``: generators of Flemish names and requests
(:mod:`webapp.demo_data.names`) and the loader (:mod:`webapp.demo_data.loader`)."""
