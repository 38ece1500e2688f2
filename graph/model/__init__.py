"""The read model: the vocabulary read from the ontology, the documents and organisations, and their indexes."""
