"""The same chunk function on a Dask cluster: ``--dask SCHEDULER_ADDRESS`` or ``--dask local:N``.

The input is split into row ranges (one partition each) with ``dask.dataframe.from_map``; each
partition is computed with ``map_partitions`` by a worker, which reads its rows from the file itself
and runs :func:`tariffstack.batch.compute.compute_chunk`, the function of the single-machine run,
with an :class:`~tariffstack.api.Engine` loaded once per worker process. A partition's result
travels back as Arrow IPC bytes (so no value passes through pandas types), and the client consumes
the partitions in input order for numbering, duplicates, totals and writing: the output is the
same, row for row, as without Dask.

Each worker needs the package installed (same version), the store directory (``.store``) and the
input file at the same paths as the client (a shared filesystem), and the law, which ships inside the
package. See the README (Batch, Dask) for dask-jobqueue and Kubernetes.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import polars as pl

from tariffstack.batch.compute import Options, compute_chunk
from tariffstack.batch.headers import Mapping
from tariffstack.batch.readers import Source

_ENGINES: dict[str, object] = {}


def _engine(store_dir: str):
    """One engine per worker process and store (loading the law and the store takes a second)."""
    if store_dir not in _ENGINES:
        from tariffstack.api import Engine
        from tariffstack.settings import Settings

        settings = Settings.from_env(store_dir=store_dir)
        _ENGINES[store_dir] = Engine(settings)
    return _ENGINES[store_dir]


def _ipc(frame: pl.DataFrame | None) -> bytes | None:
    if frame is None:
        return None
    buffer = io.BytesIO()
    frame.write_ipc(buffer)
    return buffer.getvalue()


def _frame(data: bytes | None) -> pl.DataFrame | None:
    return None if data is None else pl.read_ipc(io.BytesIO(data))


def _partition_spec(spec: tuple[int, int]) -> pd.DataFrame:
    offset, length = spec
    return pd.DataFrame({"offset": [offset], "length": [length]})


def _compute_partition(
    part: pd.DataFrame, source: Source, mapping: Mapping, options: Options, store_dir: str
) -> pd.DataFrame:
    """Worker side: read this partition's rows, compute them, return the frames as IPC bytes."""
    out = []
    for offset, length in zip(part["offset"], part["length"], strict=True):
        chunk = source.read_slice(int(offset), int(length))
        frame, lines = compute_chunk(chunk, mapping, _engine(store_dir), options)
        out.append({"offset": int(offset), "chunk": _ipc(chunk), "frame": _ipc(frame), "lines": _ipc(lines)})
    return pd.DataFrame(out, columns=["offset", "chunk", "frame", "lines"])


META = pd.DataFrame(
    {
        "offset": pd.Series([], dtype="int64"),
        "chunk": pd.Series([], dtype=object),
        "frame": pd.Series([], dtype=object),
        "lines": pd.Series([], dtype=object),
    }
)


def _client(address: str):
    from dask.distributed import Client, LocalCluster

    if address.startswith("local:"):
        workers = int(address.split(":", 1)[1] or 2)
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        )
        return Client(cluster), cluster
    return Client(address), None


def dask_results(
    source: Source,
    mapping: Mapping,
    options: Options,
    address: str,
    chunk_rows: int,
    store_dir: str | None = None,
) -> Iterator[tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame | None]]:
    """Yield (chunk, frame, lines) per partition, in input order, computed on the cluster."""
    import dask.dataframe as dd

    from tariffstack.settings import Settings

    store = str(Path(store_dir or Settings.from_env().store_dir).resolve())
    specs = [(offset, min(chunk_rows, source.rows - offset)) for offset in range(0, source.rows, chunk_rows)]
    if not specs:
        return
    client, cluster = _client(address)
    try:
        parts = dd.from_map(
            _partition_spec, specs, meta=pd.DataFrame({"offset": [0], "length": [0]}).iloc[:0]
        )
        computed = parts.map_partitions(
            _compute_partition, source, mapping, options, store, meta=META, enforce_metadata=False
        )
        futures = client.compute(computed.to_delayed())
        for future in futures:
            result = future.result()
            future.release()
            for row in result.itertuples(index=False):
                yield _frame(row.chunk), _frame(row.frame), _frame(row.lines)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
