"""Self-tests of the benchmark's result normalisation and checks (no timing).

Run: bench/.venv/bin/python bench/test_bench.py
"""

import importlib.util
import math
import unittest
from pathlib import Path

_spec = importlib.util.spec_from_file_location("bench_driver", Path(__file__).resolve().parent / "bench.py")
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)

_spec = importlib.util.spec_from_file_location("annotate_py", Path(__file__).resolve().parent / "annotate_py.py")
annotate_py = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(annotate_py)


class HistogramValues(unittest.TestCase):
    def test_forms(self):
        want = {-1: 120, 0: 3, 1: 877}
        self.assertEqual(bench.hist_to_dict({-1: 120, 0: 3, 1: 877}), want)
        self.assertEqual(bench.hist_to_dict({"key": [-1, 0, 1], "value": [120, 3, 877]}), want)
        self.assertEqual(bench.hist_to_dict([{"key": -1, "value": 120}, {"key": 0, "value": 3},
                                             {"key": 1, "value": 877}]), want)
        self.assertEqual(bench.hist_to_dict([{"value": -1, "count": 120}, {"value": 0, "count": 3},
                                             {"value": 1, "count": 877}]), want)
        self.assertEqual(bench.hist_to_dict("{-1: 120, 0: 3, 1: 877}"), want)
        self.assertEqual(bench.hist_to_dict(None), {})


class Divergences(unittest.TestCase):
    def test_close(self):
        self.assertTrue(bench.close(math.inf, math.inf))
        self.assertFalse(bench.close(math.inf, 1e300))
        self.assertTrue(bench.close(0.5, 0.5 + 1e-12))
        self.assertFalse(bench.close(0.5, 0.5 + 1e-8))
        self.assertTrue(bench.close(1e6, 1e6 * (1 + 1e-12)))
        self.assertTrue(bench.close(None, None))
        self.assertFalse(bench.close(None, 0.0))
        self.assertEqual(bench._f("inf"), math.inf)

    def test_compare(self):
        ref = {("Male", "A", "B"): (10, 20, 0.1, math.inf)}
        self.assertTrue(bench.compare(ref, {("Male", "A", "B"): (10, 20, 0.1, math.inf)}, "kl").startswith("ok"))
        self.assertIn("1 infinite", bench.compare(ref, dict(ref), "kl"))
        self.assertTrue(bench.compare(ref, {("Male", "A", "B"): (10, 21, 0.1, math.inf)}, "kl").startswith("MISMATCH"))
        self.assertTrue(bench.compare(ref, {("Male", "A", "B"): (10, 20, 0.1, 5.0)}, "kl").startswith("MISMATCH"))
        self.assertTrue(bench.compare(ref, {}, "kl").startswith("MISMATCH"))
        self.assertIn("NULL", bench.compare(ref, {("Male", "A", "B"): (10, 20, None, None)}, "kl"))
        h = {("A", "Male", 1): 3}
        self.assertTrue(bench.compare(h, {("A", "Male", 1): 3}, "hist").startswith("ok"))
        self.assertTrue(bench.compare(h, {("A", "Male", 1): 4}, "hist").startswith("MISMATCH"))

    def test_normalise_kl(self):
        got = bench.normalise("kl", [("Male", "A", "B", 1, 2, "0.5", "inf")], [])
        self.assertEqual(got, {("Male", "A", "B"): (1, 2, 0.5, math.inf)})


class MacsqlSql(unittest.TestCase):
    def test_quoting(self):
        sql = bench.macsql_sql(1, "plain_sql", ["Male", "5_o_Clock_Shadow"])
        self.assertIn('attr_hist("5_o_Clock_Shadow") AS "5_o_Clock_Shadow"', sql)
        sql = bench.macsql_sql(3, "compare_attributes", ["Male"])
        self.assertIn('"Senior" = 1', sql)

    def test_compare_columns(self):
        cols = ["attribute", "P", "Q", "n_P", "n_Q", "kl_pq", "kl_qp", "js", "tvd"]
        self.assertEqual(bench.pick(cols, "p", "dataset_p"), "P")
        self.assertEqual(bench.pick(cols, "n_p"), "n_P")

    def test_slices_report(self):
        self.assertEqual(bench.SLICES[-1], '"Male" = 1 AND "Senior" = 1 AND "Asian" = 1')
        row = {"workload": 6, "slice": '"Male" = 1', "slice_rows": 10, "engine": "macsql",
               "times": [1.0], "peak_rss_mib": 9, "error": None}
        rows = [dict(row, label="label scan, file", median_s=0.5, check="reference"),
                dict(row, label="label scan, folder", median_s=0.52, check="ok (3 rows)"),
                dict(row, label="reader", median_s=2.0, check="ok (3 rows)")]
        meta = {"scale": 1, "rows": 0, "attributes": 0, "command": "x", "machine": {"cores": 2, "duckdb": "-",
                "polars": "-", "onnxruntime": "-"}, "macsql_version": "-", "data": "-", "data_source": "-",
                "repeats": 1, "warmup": 0}
        text = bench.report(rows, meta)
        self.assertIn('| "Male" = 1 | 10 | 0.500 | 0.520 | 2.000 | 1.04 | 0.25 | ok (3 rows); ok (3 rows) |', text)


class EmbeddingsReport(unittest.TestCase):
    def test_workload7_rows_report_ratios_per_part(self):
        base = {"workload": 7, "rows": 1000000, "small": 10000, "peak_rss_mib": None, "error": None}
        rows = [dict(base, part="fd", label="macsql embedding_stats + frechet_distance", engine="macsql",
                     median_s=2.0, times=[2.0, 2.2], check="fd 1 vs 1: rel diff 1e-13"),
                dict(base, part="fd", label="pyarrow + numpy cov + scipy sqrtm", engine="python",
                     median_s=8.0, times=[8.0], check=""),
                dict(base, part="prdc", label="macsql compare_embeddings", engine="macsql",
                     median_s=1.0, times=[1.0], check="PRDC max abs diff 0"),
                dict(base, part="prdc", label="pyarrow + numpy + prdc.compute_prdc", engine="python",
                     median_s=5.0, times=[5.0], check="")]
        meta = {"scale": 1, "rows": 0, "attributes": 0, "command": "x", "machine": {"cores": 2, "duckdb": "-",
                "polars": "-", "onnxruntime": "-"}, "macsql_version": "-", "data": "-", "data_source": "-",
                "repeats": 1, "warmup": 0}
        text = bench.report(rows, meta)
        self.assertIn("FD over 1,000,000 128-d embeddings", text)
        self.assertIn("| fd | python | pyarrow + numpy cov + scipy sqrtm | 8.000 | 8.000 | 8.000 | 0.25 |  |", text)
        self.assertIn("| prdc | python | pyarrow + numpy + prdc.compute_prdc | 5.000 | 5.000 | 5.000 | 0.20 |  |", text)


class AnnotationBundle(unittest.TestCase):
    def test_manifest_names(self):
        self.assertEqual(bench.manifest_file("small"), bench.ROOT / "models" / "mac-small.toml")
        self.assertEqual(bench.manifest_file("default"), bench.ROOT / "models" / "mac.toml")
        self.assertEqual(bench.manifest_file("x/y.toml"), Path("x/y.toml"))

    def test_files_resolve_against_the_manifest_folder(self):
        base = bench.ROOT / "models" / "mac-base.toml"
        if not base.exists():
            self.skipTest("no models/mac-base.toml")
        m = bench.load_manifest(base)
        self.assertEqual([x["name"] for x in m["model"]], ["faceres", "dlib", "emotion"])
        for entry in m["model"] + [m["detector"]]:
            self.assertTrue(Path(entry["file"]).is_file(), entry["file"])

    def test_chip_frame(self):
        # As src/mac/face/align.rs AlignSpec::frame: box as given, else padding (default 0.2).
        self.assertEqual(annotate_py.frame({"template": "dlib", "box": [-0.6, -0.75, 1.6, 1.45]}),
                         (-0.6, -0.75, 1.6, 1.45))
        self.assertEqual(annotate_py.frame({"template": "dlib", "padding": 0.25}), (-0.25, -0.25, 1.25, 1.25))
        self.assertEqual(annotate_py.frame({}), (-0.2, -0.2, 1.2, 1.2))
        with self.assertRaises(SystemExit):
            annotate_py.frame({"padding": 0.1, "box": [0, 0, 1, 1]})


if __name__ == "__main__":
    unittest.main()
