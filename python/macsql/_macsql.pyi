"""Type stubs of the macsql extension module (macsql._macsql)."""

from os import PathLike
from typing import Any, Literal, Sequence

import pyarrow

_Path = str | PathLike[str]

__version__: str

class Error(Exception):
    """Every error macsql raises; the message is the one the shell prints."""

class SqlError(Error):
    """A statement failed to parse, plan or run."""

class FileError(Error):
    """A file or folder could not be read, registered, imported or written."""

class ModelError(Error):
    """The attribute classifier failed: its bundle, ONNX Runtime, images or training."""

class Relation:
    """The result of a query, run when it is asked for (each conversion runs it again)."""

    @property
    def columns(self) -> list[str]:
        """The result's column names."""
    @property
    def query(self) -> str:
        """The SQL text of the query."""
    def to_arrow(self) -> pyarrow.Table:
        """The result as a pyarrow Table (the buffers are handed over, not copied)."""
    def to_pandas(self) -> Any:
        """The result as a pandas DataFrame (histograms: lists of (key, count) tuples)."""
    def to_polars(self) -> Any:
        """The result as a polars DataFrame (histograms: lists of {key, value} structs)."""
    def fetchall(self) -> list[tuple[Any, ...]]:
        """The rows as a list of tuples."""
    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object:
        """The Arrow C stream of the result (PyCapsule protocol), computed batch by batch."""

class Connection:
    """An engine: its registered tables and macsql's SQL functions."""

    def register(self, name: str, source: _Path | Any) -> None:
        """Registers a file or folder (CSV, Parquet, Arrow IPC, JSON), a pyarrow Table or
        RecordBatchReader, a pandas or polars DataFrame (anything with __arrow_c_stream__)
        as table ``name``."""
    def sql(self, query: str) -> Relation | None:
        """Runs one statement: a query returns a Relation, any other statement (COPY, CREATE)
        runs now and returns None."""
    def tables(self) -> list[str]:
        """The names of the registered tables, sorted."""
    def functions(self) -> list[str]:
        """The names of macsql's SQL functions, sorted."""
    def __enter__(self) -> Connection: ...
    def __exit__(self, *args: object) -> bool: ...

def connect(demo: float | None = None, seed: int = 42) -> Connection:
    """Opens an engine; ``demo``: also register the simulated paper-scale catalog as table
    ``demo`` at this scale (0.01 is quick, 1.0 the paper's sizes)."""

def annotate(
    paths: _Path | Sequence[_Path],
    dataset: str,
    kind: Literal["real", "synthetic"],
    out: _Path,
    model: _Path | None = None,
    batch: int = 32,
    threads: int | None = None,
    resume: bool = False,
    progress: bool = True,
    identity_from_dir: bool = False,
    detect: Literal["auto", "none"] = "auto",
    faces: Literal["largest", "all"] = "largest",
    shard: str | None = None,
    embedding: bool = True,
) -> dict[str, Any]:
    """Annotates images with the attribute classifier into the Parquet table ``out`` (with the
    face ``embedding`` column unless ``embedding=False``); returns
    {annotated, errors, no_face, skipped, rows, seconds, output, already_done}; ``out`` a folder writes a partitioned dataset (as the command line). Ctrl-C stops it between batches and
    keeps the finished ones for ``resume=True``."""

def import_labels(
    path: _Path,
    format: Literal["maad", "celeba", "fairface", "faceapi", "styleflow"],
    dataset: str,
    kind: Literal["real", "synthetic"] = "real",
    out: _Path | None = None,
) -> dict[str, Any]:
    """Imports an annotation set into macsql's layout and writes it to ``out`` (Parquet);
    returns {rows, attributes, out}."""
