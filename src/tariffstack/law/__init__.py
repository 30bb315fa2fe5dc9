"""Tariff law as data: measure files, lists, precedence rules; strict loading and lints."""
