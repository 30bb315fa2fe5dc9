"""Lines → evaluation keys: the few facts that decide a line's whole stack.

Two lines with the same HTS10, origin, importing country, law epoch, schedule revision, program
claim, units, condition bits and set of content facts given have the same stack: the same MFN
rate, the same provisions in force and in scope, the same conditions met, the same exceptions and
(where no rule needs the line's own values) the same precedence outcome. The evaluator decides the
MFN line once per key and the stack once per set of keys that share it (scope class, epoch, content
facts given, condition bits: :func:`tariffstack.engine.stack.stack_keys`), and broadcasts both to
the lines, where only arithmetic on the line's own value, content and quantities remains. A
realistic million lines has about 100,000 keys; one line has one.
"""

from __future__ import annotations

import functools
import operator
import string

import polars as pl

from tariffstack.engine.compiled import BITS_PER_WORD, CompiledLaw
from tariffstack.engine.query import run
from tariffstack.engine.rows import filled
from tariffstack.hts.rates import UNIT_SYNONYMS
from tariffstack.law.vocabulary import SPI_SYNONYMS

SPI_CODES = sorted(set(SPI_SYNONYMS.values()))
UNIT_CODES = sorted(set(UNIT_SYNONYMS.values()))

# Content facts a base may read; a key records which of them the line gives (bit per fact).
BASE_COLUMNS = {
    "steel_value": "steel_value_cents",
    "aluminum_value": "aluminum_value_cents",
    "copper_value": "copper_value_cents",
    "us_content_value": "us_content_value_cents",
}
PRESENT_BIT = {column: 1 << i for i, column in enumerate(BASE_COLUMNS.values())}
FORMULA_COLUMNS = ("ca_mx_content_value_cents",)  # facts a base formula reads
# The key's facts, packed losslessly into Int64 words (so keys are found with integer hashing):
# ``code_key`` = HTS10 · origin · importing country (also the scope key); ``fact_key`` = epoch ·
# revision · program claimed · quantities given · content facts given; ``unit_key`` = the units.
KEY_FIXED = ("code_key", "fact_key", "unit_key")
KEY_FACTS = (
    "importing_country",
    "origin",
    "hts10",
    "epoch",
    "rev_idx",
    "spi",
    "unit",
    "unit2",
    "has_qty",
    "has_qty2",
    "present",
)
LINE_FACTS = ("line_id", "entry_ts", "value_cents", "qty_milli", "qty2_milli", *BASE_COLUMNS.values())


def word_count(law: CompiledLaw) -> int:
    return max(1, -(-len(law.condition_sets) // BITS_PER_WORD))


def key_columns(law: CompiledLaw) -> list[str]:
    return [*KEY_FIXED, *(f"cond_bits_{w}" for w in range(word_count(law)))]


ORIGIN_CODES = [a + b for a in string.ascii_uppercase for b in string.ascii_uppercase]  # ISO alpha-2 shapes
# The closed vocabularies of the key, each column as its position + 1 (null as 0): an Enum cast
# is one look-up per value (1M origins: 32 ms as hex text read as an integer, 10 ms this way).
CODED = {"spi": SPI_CODES, "unit": UNIT_CODES, "unit2": UNIT_CODES, "origin": ORIGIN_CODES}


@functools.cache
def _codes() -> dict[str, pl.Expr]:
    """``<column>_code`` of each closed-vocabulary column: position + 1, null when the value is
    null or outside the vocabulary (:func:`_outside_vocabulary` tells the two apart)."""
    return {
        f"{column}_code": pl.col(column).cast(pl.Enum(vocabulary), strict=False).to_physical().cast(pl.Int64)
        + 1
        for column, vocabulary in CODED.items()
    }


def origin_code() -> pl.Expr:
    """The line's origin as the key packs it (position + 1 in ``ORIGIN_CODES``, < 2^10)."""
    return _codes()["origin_code"]


@functools.cache
def _outside_vocabulary() -> pl.Expr:
    """A line whose claim, unit or origin the packing cannot hold (validation never lets one through):
    a value given whose code is null, or no origin."""
    return pl.any_horizontal(
        *(pl.col(column).is_not_null() & pl.col(f"{column}_code").is_null() for column in CODED),
        pl.col("origin_code").is_null(),
    ).any()


@functools.cache
def _packed() -> dict[str, pl.Expr]:
    """The key words. Field widths: code < 2^34, origin code < 2^10, epoch < 2^12, revision < 2^8,
    claim code < 2^16, content bits 4; each unit code gets 31 bits."""
    code = {column: pl.col(f"{column}_code").fill_null(0) for column in CODED}
    fact_key = (
        pl.col("epoch")
        + pl.col("rev_idx") * (1 << 12)
        + code["spi"] * (1 << 20)
        + pl.col("has_qty").cast(pl.Int64) * (1 << 36)
        + pl.col("has_qty2").cast(pl.Int64) * (1 << 37)
        + pl.col("present").cast(pl.Int64) * (1 << 38)
    )
    unit_key = code["unit"] + code["unit2"] * (1 << 31)
    return {"code_key": _code_key(), "fact_key": fact_key, "unit_key": unit_key}


@functools.cache
def _code_key() -> pl.Expr:
    """HTS10 · origin code · importing country: the key word that decides a line's scope class."""
    return (
        pl.col("hts10").cast(pl.Int64) * (1 << 11)
        + pl.col("origin_code").fill_null(0) * 2
        + (pl.col("importing_country") == "CA").cast(pl.Int64)
    )


def code_keys(codes: pl.DataFrame) -> pl.DataFrame:
    """``codes`` (``hts10``, ``origin``, ``importing_country``) with the ``code_key`` that lines of
    that code, origin and importer carry (for resolving scope classes ahead of any line)."""
    return (
        codes.with_columns(origin_code=_codes()["origin_code"])
        .with_columns(code_key=_code_key())
        .drop("origin_code")
    )


def _condition_words(law: CompiledLaw, lines: pl.DataFrame) -> list[pl.Expr]:
    """Every distinct condition set evaluated once per line, packed into Int64 words
    (``cond_bits_0``, ``cond_bits_1``, ...; bit = set number modulo the word size).

    A set is the AND of conditions, each a test on the line's own fields. A condition whose fields
    are null on every line of the frame (most read facts a file does not give: a donation, a
    pharmaceutical program, a loading date) has the same value on every line: it is evaluated
    once, on one line. A set with such a condition false is false on every line, one with all of
    them true is the AND of its other conditions, one with nothing else is constant: only what is
    left is evaluated on the lines (the 68 sets of a 500,000-line chunk with only the usual fields
    given: 67 → 33 ms when whole sets were folded; a line with the usual fields: 4 sets left
    instead of 16, ~0.2 ms instead of ~0.8)."""
    roots = law.derived(
        "condition_term_roots",
        lambda: [[frozenset(t.meta.root_names()) for t in terms] for terms in law.condition_terms],
    )
    constant: frozenset[tuple[int, int]] = frozenset()
    if not lines.is_empty():  # (a frame of no lines has no line to read a constant from)
        nulls = lines.null_count().row(0, named=True)  # (every column's count in one operation)
        empty = {c for terms in roots for r in terms for c in r if nulls[c] == lines.height}
        constant = frozenset(
            (i, j) for i, terms in enumerate(roots) for j, r in enumerate(terms) if r <= empty
        )
    return law.derived(
        ("condition_words", constant), lambda: _build_condition_words(law, constant, lines.head(1))
    )


def _build_condition_words(
    law: CompiledLaw, constant: frozenset[tuple[int, int]], one_line: pl.DataFrame
) -> list[pl.Expr]:
    """The words' expressions; the conditions in ``constant`` (set, condition: their fields null on
    every line) are read from ``one_line`` (whose value is then every line's)."""
    values = one_line.select(law.condition_terms[i][j].alias(f"{i}_{j}") for i, j in sorted(constant))
    words = []
    for word in range(word_count(law)):
        start = word * BITS_PER_WORD
        fixed, bits = 0, []
        for bit, terms in enumerate(law.condition_terms[start : start + BITS_PER_WORD]):
            number = start + bit
            held = [values[f"{number}_{j}"][0] for j in range(len(terms)) if (number, j) in constant]
            if not all(held):  # (a condition false on every line: so is the set)
                continue
            rest = [t for j, t in enumerate(terms) if (number, j) not in constant]
            if not rest:
                fixed += 1 << bit
                continue
            test = functools.reduce(operator.and_, rest)
            bits.append(
                pl.when(test).then(pl.lit(1 << bit, dtype=pl.Int64)).otherwise(pl.lit(0, dtype=pl.Int64))
            )
        if not bits:  # (every set of the word constant: one value per line, not a literal)
            words.append(pl.repeat(fixed, pl.len(), dtype=pl.Int64).alias(f"cond_bits_{word}"))
            continue
        bits.append(pl.lit(fixed, dtype=pl.Int64))
        words.append(pl.sum_horizontal(bits).alias(f"cond_bits_{word}"))
    return words


def prepare_lines(valid: pl.DataFrame, law: CompiledLaw, revision_starts: pl.Series) -> pl.DataFrame:
    """The key columns and the per-line facts of every valid line (one row per line)."""
    present = pl.sum_horizontal(
        pl.col(column).is_not_null().cast(pl.Int8) * bit for column, bit in PRESENT_BIT.items()
    ).cast(pl.Int8)
    # (searched in the query: a search of its own is one more operation for a call of one line)
    epoch = pl.lit(law.breakpoints).search_sorted(pl.col("entry_ts"), side="right").cast(pl.Int64)
    revision = pl.lit(revision_starts).search_sorted(pl.col("entry_ts").dt.date(), side="right")
    rev_idx = revision.cast(pl.Int64) - 1
    if law.breakpoints.len() >= 1 << 12 or revision_starts.len() >= 1 << 8:
        raise ValueError("the law or the schedule has more change points than the key packing holds")
    prepared = valid.lazy().select(
        *LINE_FACTS,
        *FORMULA_COLUMNS,
        "importing_country",
        "origin",
        "hts10",
        "spi",
        "unit",
        "unit2",
        *_condition_words(law, valid),
        epoch=epoch,
        rev_idx=rev_idx,
        has_qty=pl.col("qty_milli").is_not_null(),
        has_qty2=pl.col("qty2_milli").is_not_null(),
        present=present,
        **_codes(),
    )
    prepared = run(prepared.with_columns(_outside=_outside_vocabulary(), **_packed()).drop(*_codes()))
    if prepared.height and prepared["_outside"][0]:
        strange = valid.select("spi", "unit", "unit2", "origin").unique().to_dicts()
        raise ValueError(f"spi/unit/origin outside the engine's vocabulary in {strange[:5]}")
    return prepared  # (its ``_outside`` column is dropped with the key columns, in assign_keys)


def assign_keys(prepared: pl.DataFrame, law: CompiledLaw) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(lines with ``key_id``, one row per distinct key with its facts unpacked).

    One group-by of the key words gives each key its rows; the key ids are scattered back to the
    lines by row position, and each key's facts are read from its first row. (The distinct keys
    joined back to the lines on the key words took 160 ms a 500,000-line chunk; this, 100 ms.)"""
    columns = key_columns(law)
    groups = run(
        prepared.lazy()
        .select(columns)
        .with_row_index("_row")
        .group_by(columns)
        .agg("_row", _first=pl.col("_row").first())
        .with_row_index("key_id")
        .with_columns(pl.col("key_id").cast(pl.Int64))
    )
    rows = run(groups.lazy().select("key_id", "_row").explode("_row"))
    key_id = filled("key_id", 0, prepared.height, pl.Int64).scatter(rows["_row"], rows["key_id"])
    facts = (pl.lit(prepared[c]).gather(pl.col("_first")) for c in KEY_FACTS)  # each key's first row's
    keys = run(groups.lazy().select("key_id", *columns, *facts))
    lines = run(prepared.lazy().drop("has_qty", "has_qty2", "present", "_outside", *columns[1:])).hstack(
        [key_id.alias("key_id")]
    )
    return lines, keys
