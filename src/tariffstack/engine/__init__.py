"""Compile the law into tables once; evaluate frames of entry lines with Polars expressions."""
