"""Pure ontology domain: taxonomies, mappings and their algebra, file formats, lint,
the constraint lookup table, the shipped catalog (and the datasets engineer's sampling
and label helpers). No FastAPI, SQLAlchemy or torch: the API and the worker both use it.
See docs/ontologies.md.
"""
