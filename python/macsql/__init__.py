"""macsql for Python: the macsql engine (DataFusion + the MAC classifier) in a notebook.

    >>> import macsql
    >>> con = macsql.connect(demo=0.01)
    >>> con.sql("SELECT dataset, attr_hist(Male) AS h FROM demo GROUP BY dataset").to_pandas()

Results come back as pyarrow Tables (``to_arrow``), pandas (``to_pandas``) or polars
(``to_polars``) DataFrames, tuples (``fetchall``), or through ``__arrow_c_stream__`` to any Arrow
consumer. Errors raise :class:`macsql.Error` (:class:`SqlError`, :class:`FileError`,
:class:`ModelError`) with the message the shell prints.
"""

from ._macsql import (
    Connection,
    Error,
    FileError,
    ModelError,
    Relation,
    SqlError,
    __version__,
    annotate,
    connect,
    import_labels,
)

__all__ = [
    "Connection",
    "Error",
    "FileError",
    "ModelError",
    "Relation",
    "SqlError",
    "__version__",
    "annotate",
    "connect",
    "import_labels",
]
