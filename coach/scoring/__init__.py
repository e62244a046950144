"""Scoring: rubric, analytic scorer, LLM judge, aggregation and debrief."""
