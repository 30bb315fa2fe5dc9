"""Aggregate analysis: the engine run over trade flows (series, breakdowns, scenarios, change feed)."""
