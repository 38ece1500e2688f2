"""Analyses over the read model: overlap scoring, coverage, gaps, planning views and exports."""
