"""Entry-line input (validation into a typed frame) and the public JSON output contract."""
