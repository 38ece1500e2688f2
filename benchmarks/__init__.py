"""Benchmarks of issue 5: the project's engines against rdflib, raw pyoxigraph, pySHACL, Oxigraph and Virtuoso."""
