"""Storage: the store (embedded Oxigraph or a remote SPARQL server), IRIs, the SPARQL service and every query."""
