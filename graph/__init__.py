"""The retningsgraf knowledge graph: IRIs, stores, validation and analysis."""
