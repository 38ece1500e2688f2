"""The HTTP API of retningsgraf (FastAPI)."""
