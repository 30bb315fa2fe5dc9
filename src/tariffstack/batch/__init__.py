"""Batch files (CSV, Excel, Parquet) through the engine, the IEEPA refund report, and a Dask run.

``run_file`` is the entry point the CLI and the web upload build on.
"""

from tariffstack.batch.run import BatchSummary, run_file

__all__ = ["BatchSummary", "run_file"]
