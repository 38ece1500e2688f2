"""Validation: the SHACL engine, the shapes' gap rules and the validation report."""
