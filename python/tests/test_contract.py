"""The Python contract: connect, register, sql, results as pyarrow / pandas / polars / tuples,
errors, cancellation, annotate and import_labels; results equal to the shell's."""

import math
import os
import pathlib
import signal
import subprocess
import threading
import time

import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import macsql

STUDY = """
SELECT a.dataset AS real, b.dataset AS synthetic,
       kl_div(a.h, b.h) AS kl_real_synth, kl_div(b.h, a.h) AS kl_synth_real
FROM (SELECT dataset, attr_hist(Male) AS h FROM demo WHERE kind = 'real' GROUP BY dataset) a,
     (SELECT dataset, attr_hist(Male) AS h FROM demo WHERE kind = 'synthetic' GROUP BY dataset) b
ORDER BY real, synthetic
"""


def ffhq_images(data, tmp_path, n):
    """A folder of links to the first n shared FFHQ images."""
    images = tmp_path / "images"
    images.mkdir()
    for name in sorted(os.listdir(data / "images" / "real" / "ffhq"))[:n]:
        (images / name).symlink_to(data / "images" / "real" / "ffhq" / name)
    return images


def shell(macsql_bin, args, sql, tmp_path):
    """The shell's result of `sql` (written to Parquet by `-o`, read back exactly)."""
    out = tmp_path / f"shell-{abs(hash(sql))}.parquet"
    subprocess.run([str(macsql_bin), *args, "-c", sql, "-o", str(out)], check=True, capture_output=True)
    return pq.read_table(out)


def test_demo_study_equals_the_shell(macsql_bin, tmp_path):
    con = macsql.connect(demo=0.01)
    assert "demo" in con.tables()
    ours = con.sql(STUDY).to_arrow()
    theirs = shell(macsql_bin, ["--demo", "--scale", "0.01"], STUDY, tmp_path)
    assert ours.column_names == theirs.column_names
    assert ours.num_rows == theirs.num_rows > 0
    for name in ("real", "synthetic"):
        assert ours.column(name).to_pylist() == theirs.column(name).to_pylist()
    for name in ("kl_real_synth", "kl_synth_real"):
        for a, b in zip(ours.column(name).to_pylist(), theirs.column(name).to_pylist()):
            assert abs(a - b) <= 1e-12


def test_shared_tables_counts_histograms_and_kl_equal_the_shell(macsql_bin, data, tmp_path):
    ffhq = data / "annotations" / "ffhq_faceapi.csv"
    flow = data / "annotations" / "styleflow_stylegan2_faceapi.csv"
    con = macsql.connect()
    con.register("ffhq", str(ffhq))
    con.register("flow", flow)  # a pathlib.Path works too
    assert con.tables() == ["ffhq", "flow"]
    sql = """
    SELECT (SELECT count(*) FROM ffhq) AS n_ffhq, (SELECT count(*) FROM flow) AS n_flow,
           kl_div(r.h, s.h) AS kl, kl_div(s.h, r.h) AS kl_back, r.h AS h_ffhq
    FROM (SELECT attr_hist(CASE WHEN gender = 'male' THEN 1 ELSE -1 END) AS h FROM ffhq) r,
         (SELECT attr_hist(CASE WHEN gender_male = 1 THEN 1 ELSE -1 END) AS h FROM flow) s
    """
    ours = con.sql(sql).fetchall()
    theirs = shell(macsql_bin, ["--data", f"ffhq={ffhq}", "--data", f"flow={flow}"], sql, tmp_path)
    (n_ffhq, n_flow, kl, kl_back, h) = ours[0]
    assert (n_ffhq, n_flow) == (69_471, 1_000)
    assert [n_ffhq, n_flow] == [theirs.column("n_ffhq")[0].as_py(), theirs.column("n_flow")[0].as_py()]
    assert abs(kl - theirs.column("kl")[0].as_py()) <= 1e-12
    assert abs(kl_back - theirs.column("kl_back")[0].as_py()) <= 1e-12
    assert h == theirs.column("h_ffhq")[0].as_py()
    assert sum(count for _, count in h) == 69_471


def test_histograms_are_maps_in_arrow_lists_of_tuples_in_pandas_maps_in_polars():
    con = macsql.connect(demo=0.01)
    rel = con.sql("SELECT dataset, attr_hist(Male) AS h FROM demo GROUP BY dataset ORDER BY dataset")
    table = rel.to_arrow()
    assert pa.types.is_map(table.schema.field("h").type)
    df = rel.to_pandas()
    assert isinstance(df, pd.DataFrame)
    first = df["h"].iloc[0]
    assert isinstance(first, list) and all(isinstance(kv, tuple) and len(kv) == 2 for kv in first)
    frame = rel.to_polars()
    assert isinstance(frame, pl.DataFrame)
    # polars 2 has a Map type (values read as dicts); polars 1 reads a map as a list of structs.
    dtype = frame.schema["h"]
    if hasattr(pl, "Map") and isinstance(dtype, pl.Map):
        got = frame["h"][0]
    else:
        assert isinstance(dtype, pl.List) and isinstance(dtype.inner, pl.Struct)
        got = {e["key"]: e["value"] for e in frame["h"][0]}
    assert got == dict(table.column("h")[0].as_py())
    assert frame["dataset"].to_list() == table.column("dataset").to_pylist()


def test_register_each_kind_of_object(tmp_path):
    con = macsql.connect()
    table = pa.table({"dataset": ["a", "a", "b"], "Male": pa.array([1, -1, 1], pa.int8())})
    con.register("t_arrow", table)
    con.register("t_reader", pa.RecordBatchReader.from_batches(table.schema, table.to_batches()))
    con.register("t_pandas", table.to_pandas())
    con.register("t_polars", pl.from_arrow(table))
    pq.write_table(table, tmp_path / "t.parquet")
    con.register("t_file", tmp_path / "t.parquet")
    folder = tmp_path / "folder"
    folder.mkdir()
    pq.write_table(table, folder / "part-0.parquet")
    pq.write_table(table, folder / "part-1.parquet")
    con.register("t_folder", folder)
    # A macsql Relation is an Arrow stream too.
    con.register("t_rel", con.sql("SELECT * FROM t_arrow"))
    assert set(con.tables()) >= {"t_arrow", "t_reader", "t_pandas", "t_polars", "t_file", "t_folder", "t_rel"}
    for name in ("t_arrow", "t_reader", "t_pandas", "t_polars", "t_file", "t_rel"):
        rows = con.sql(f"SELECT dataset, count(*) AS n, sum(Male) AS m FROM {name} GROUP BY dataset ORDER BY dataset").fetchall()
        assert rows == [("a", 2, 0), ("b", 1, 1)], name
    assert con.sql("SELECT count(*) FROM t_folder").fetchall() == [(6,)]
    with pytest.raises(TypeError, match="register: expected a path"):
        con.register("bad", 42)


def test_arrow_c_stream_is_read_by_pyarrow_and_polars():
    con = macsql.connect()
    rel = con.sql("SELECT value AS v FROM generate_series(1, 100000)")
    assert pa.RecordBatchReader.from_stream(rel).read_all().num_rows == 100_000
    assert pa.table(rel).column("v").to_pylist()[-1] == 100_000
    assert pl.DataFrame(rel).height == 100_000
    assert rel.columns == ["v"]
    assert "generate_series" in rel.query


def test_statements_without_a_result_run_now(tmp_path):
    con = macsql.connect(demo=0.01)
    out = tmp_path / "males.parquet"
    assert con.sql(f"COPY (SELECT dataset, Male FROM demo WHERE Male = 1) TO '{out}'") is None
    assert pq.read_table(out).num_rows > 0
    assert con.sql("CREATE TABLE small AS SELECT * FROM demo LIMIT 5") is None
    assert "small" in con.tables()
    assert con.sql("SELECT count(*) FROM small").fetchall() == [(5,)]
    assert "attr_hist" in con.functions() and "kl_div" in con.functions()


def test_errors_carry_the_shells_message(macsql_bin, tmp_path):
    con = macsql.connect()
    with pytest.raises(macsql.SqlError) as sql_error:
        con.sql("SELECT nope FROM nowhere")
    shell_run = subprocess.run([str(macsql_bin), "-c", "SELECT nope FROM nowhere"], capture_output=True, text=True)
    assert shell_run.returncode != 0
    assert str(sql_error.value) in shell_run.stderr
    assert isinstance(sql_error.value, macsql.Error)
    with pytest.raises(macsql.FileError, match="no such file or folder"):
        con.register("x", tmp_path / "missing.parquet")
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n3,4,5\n")
    with pytest.raises(macsql.FileError, match=r"bad.csv(.|\n)*Expected 2 records, found 3 records at line 3"):
        con.register("bad", bad)
    assert "bad" not in con.tables()
    with pytest.raises(macsql.SqlError, match="expected one SQL statement, got 2"):
        con.sql("SELECT 1; SELECT 2")
    with pytest.raises(ValueError, match="kind: expected 'real' or 'synthetic'"):
        macsql.annotate([], dataset="x", kind="fake", out=tmp_path / "x.parquet")
    with pytest.raises(ValueError, match="format: expected one of"):
        macsql.import_labels(bad, format="nope", dataset="x", out=tmp_path / "x.parquet")


def test_ctrl_c_cancels_a_running_query():
    con = macsql.connect()
    # Hours of work: 10^11 rows in batches of 8,192, each a quick step, so cancelling stops it
    # at once (the runtime is free again for the next query).
    rel = con.sql("SELECT sum(value % 7) FROM generate_series(1, 100000000000)")
    timer = threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT))
    start = time.monotonic()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        rel.fetchall()
    assert time.monotonic() - start < 10
    # The connection still works, and the cancelled query no longer holds the cores.
    start = time.monotonic()
    assert con.sql("SELECT 1 AS one").fetchall() == [(1,)]
    assert time.monotonic() - start < 5


def test_import_labels_writes_the_table(data, tmp_path):
    out = tmp_path / "fairface.parquet"
    summary = macsql.import_labels(data / "annotations" / "fairface_val_1000.csv", format="fairface",
                                   dataset="fairface", kind="real", out=out)
    assert summary["rows"] == 1000
    assert "Male" in summary["attributes"]
    con = macsql.connect()
    con.register("ff", out)
    assert con.sql("SELECT count(*) FROM ff WHERE kind = 'real'").fetchall() == [(1000,)]


def test_annotate_a_few_images(data, tmp_path):
    images = ffhq_images(data, tmp_path, 4)
    out = tmp_path / "few.parquet"
    summary = macsql.annotate(images, dataset="ffhq", kind="real", out=out, progress=False)
    assert summary["annotated"] == 4 and summary["rows"] == 4 and summary["errors"] == 0
    again = macsql.annotate([images], dataset="ffhq", kind="real", out=out, resume=True, progress=False)
    assert again["skipped"] == 4 and again["annotated"] == 0
    # Into a folder, in two shards: one partitioned table, as the command line writes it.
    folder = tmp_path / "ds"
    for i in range(2):
        s = macsql.annotate(images, dataset="ffhq", kind="real", out=f"{folder}/", shard=f"{i}/2", progress=False)
        assert str(s["output"]).endswith(f"source=ffhq/shard={i}-of-2/data.parquet") and not s["already_done"]
    assert macsql.annotate(images, dataset="ffhq", kind="real", out=folder, shard="1/2", progress=False)["already_done"]
    con = macsql.connect()
    con.register("ds", folder)
    assert con.sql("SELECT count(DISTINCT path), count(DISTINCT shard) FROM ds").fetchall() == [(4, 2)]
    with pytest.raises(ValueError, match="shard: "):
        macsql.annotate(images, dataset="ffhq", kind="real", out=folder, shard="5/2")
    con.register("few", out)
    rows = con.sql("SELECT Male, Male_p FROM few").fetchall()
    assert len(rows) == 4
    assert all(m in (-1, 0, 1) and 0.0 <= p <= 1.0 for m, p in rows)
    # mac_annotate() comes back as a struct.
    one = str(images / sorted(os.listdir(images))[0])
    table = con.sql(f"SELECT mac_annotate('{one}') AS m").to_arrow()
    assert pa.types.is_struct(table.schema.field("m").type)
    names = [f.name for f in table.schema.field("m").type]
    assert "Male" in names and "Male_p" in names
    want = con.sql(f"SELECT Male_p FROM few WHERE path = '{one}'").fetchall()
    if want:  # the table stores the path as given; compare when it is the same string
        assert math.isclose(table.column("m")[0].as_py()["Male_p"], want[0][0], abs_tol=1e-6)


def test_embeddings_are_fixed_size_lists_in_arrow_pandas_and_polars(data, tmp_path):
    images = ffhq_images(data, tmp_path, 3)
    out = tmp_path / "emb.parquet"
    macsql.annotate(images, dataset="ffhq", kind="real", out=out, progress=False)
    con = macsql.connect()
    con.register("emb", out)
    rel = con.sql("SELECT path, embedding FROM emb ORDER BY path")
    table = rel.to_arrow()
    dtype = table.schema.field("embedding").type
    assert pa.types.is_fixed_size_list(dtype) and dtype.list_size == 128
    assert pa.types.is_float32(dtype.value_type)
    first = table.column("embedding")[0].as_py()
    assert len(first) == 128 and math.isclose(sum(x * x for x in first), 1.0, abs_tol=1e-4)
    df = rel.to_pandas()
    assert len(df["embedding"].iloc[0]) == 128
    frame = rel.to_polars()
    assert isinstance(frame.schema["embedding"], pl.Array) and frame.schema["embedding"].size == 128
    assert frame["embedding"][0].to_list() == pytest.approx(first)
    # Without the column when asked.
    bare = tmp_path / "bare.parquet"
    macsql.annotate(images, dataset="ffhq", kind="real", out=bare, progress=False, embedding=False)
    assert "embedding" not in pq.read_schema(bare).names


def test_repr_shows_the_first_rows():
    con = macsql.connect()
    text = repr(con.sql("SELECT value FROM generate_series(1, 20)"))
    assert "| value |" in text and "first 10 rows shown" in text


def test_ctrl_c_stops_annotate_and_resume_finishes_it(data, tmp_path):
    images = ffhq_images(data, tmp_path, 40)
    out = tmp_path / "part.parquet"
    parts = tmp_path / "part.parquet.parts"

    def interrupt_after_the_first_batch():
        # Ctrl-C once the first batch is journalled (a part file in OUT.parquet.parts/).
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if parts.is_dir() and any(p.suffix == ".parquet" for p in parts.iterdir()):
                break
            time.sleep(0.02)
        os.kill(os.getpid(), signal.SIGINT)

    watcher = threading.Thread(target=interrupt_after_the_first_batch)
    watcher.start()
    with pytest.raises(KeyboardInterrupt):
        macsql.annotate(images, dataset="ffhq", kind="real", out=out, batch=2, threads=1, progress=False)
    watcher.join()
    assert not out.exists()  # nothing is labelled that was not finished: the output is not written
    summary = macsql.annotate(images, dataset="ffhq", kind="real", out=out, batch=2, resume=True, progress=False)
    assert summary["rows"] == 40
    assert summary["annotated"] + summary["skipped"] == 40
    assert summary["skipped"] > 0, "the batches finished before Ctrl-C were kept"
    con = macsql.connect()
    con.register("part", out)
    assert con.sql("SELECT count(DISTINCT path) FROM part").fetchall() == [(40,)]
