"""Benchmark of the analysis: the full daily series and one scenario diff (run once, by hand).

- **series**: every HTS10 line with Canadian trade (each monthly file Jan 2025 - Feb 2026, then the
  ``latest12`` average month), claimed and unclaimed parts, evaluated once per evaluation date
  (law breakpoints, schedule revisions touching those codes, month starts) and expanded to every
  day of 2025-2027: flows loading, the engine runs and the aggregation. Goal: < 30 s, < 4 GB.
- **scenario**: ``s232_metals_deal_25.yaml`` — validation, the modified law compiled, baseline and
  scenario runs from the scenario's first day, the comparison tables. Goal: < 10 s.

Peak RSS is ``ru_maxrss`` of the process (store and flows included).
"""

from __future__ import annotations

import resource
import time
from pathlib import Path

from tariffstack.analysis.diff import run_scenario
from tariffstack.analysis.flows import Assumptions, load_flows
from tariffstack.analysis.series import Inputs, run_series
from tariffstack.api import Engine

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    engine = Engine()
    engine.compiled  # noqa: B018 - load law and store outside the timing
    data = engine.settings.data_dir
    start = time.perf_counter()
    flows = load_flows(data)
    run = run_series(Inputs(engine, flows, Assumptions(), data))
    series_s = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"series: {run.daily.height} days, {run.points.height} evaluation points, "
        f"{run.lines.height:,} engine lines in {series_s:.2f} s; peak RSS {peak:,.0f} MB"
    )
    start = time.perf_counter()
    path = ROOT / "src" / "tariffstack" / "analysis" / "scenarios" / "s232_metals_deal_25.yaml"
    summary = run_scenario(engine, data, path, Assumptions())
    scenario_s = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"scenario {path.name}: {scenario_s:.2f} s ({summary}); peak RSS {peak:,.0f} MB")


if __name__ == "__main__":
    main()
