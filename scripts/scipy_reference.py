#!/usr/bin/env python3
"""Reference values for macsql's histogram functions, computed with scipy / numpy.

Writes tests/fixtures/scipy_expected.json (histograms + every function's value per case) and
tests/slt/functions_scipy.slt (the same checks as SQL: each value must agree with scipy to a
relative 1e-9; the headline KL values are also printed rounded to 12 decimals).

Run from the repository root (scipy is not on the build machine, so use a throwaway venv):

    python3 -m venv /tmp/scipy-venv && /tmp/scipy-venv/bin/pip install scipy numpy
    /tmp/scipy-venv/bin/python scripts/scipy_reference.py

Reads ../shared/data/annotations/{ffhq_faceapi,styleflow_stylegan2_faceapi}.csv in place.
Conventions mirrored from macsql (documented in the README function reference):
  * NULL (empty CSV field) inputs are ignored, as SQL aggregates do;
  * binned keys are the bin's lower edge, bins are left-closed, values outside edges dropped;
  * chi2_test drops values with no count on either side, then calls chi2_contingency (Yates'
    correction at 1 degree of freedom, as scipy does by default);
  * hellinger / tvd / psi have no scipy function: they use the numpy formulas below.
"""

import csv
import json
import math
import os
import sys
from collections import Counter

import numpy as np
import scipy
from scipy.spatial.distance import jensenshannon
from scipy.stats import chi2_contingency, entropy, wasserstein_distance

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "..", "shared", "data", "annotations")
FFHQ = "ffhq_faceapi.csv"
STYLEFLOW = "styleflow_stylegan2_faceapi.csv"
REL = 1e-9


def read_csv(name):
    with open(os.path.join(DATA, name), newline="") as f:
        return list(csv.DictReader(f))


def floats(rows, col):
    return [float(r[col]) for r in rows if r[col] != ""]


def bin_edges(xs, edges):
    out = []
    for x in xs:
        if edges[0] <= x < edges[-1]:
            i = max(j for j in range(len(edges) - 1) if edges[j] <= x)
            out.append(float(edges[i]))
    return out


def bin_width(xs, w):
    return [math.floor(x / w) * w for x in xs]


def fmt_key(k):
    if isinstance(k, bool):
        return "true" if k else "false"
    if isinstance(k, float):
        return rust_float(k)
    return str(k)


def rust_float(v):
    """Formats a float the way arrow-rs displays a Float64 (no exponent, '.0' on integers)."""
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    s = np.format_float_positional(v, unique=True, trim="-")
    return s if ("." in s) else s + ".0"


def df_round(x, places=12):
    """DataFusion's round(x, n): (x * 10^n).round() / 10^n, round half away from zero."""
    f = 10.0**places
    y = x * f
    frac = abs(y) - math.floor(abs(y))
    assert abs(frac - 0.5) > 1e-3, f"{x} is too close to a rounding boundary"
    return math.copysign(math.floor(abs(y) + 0.5), y) / f


def hist_text(counter):
    return "{" + ", ".join(f"{fmt_key(k)}: {counter[k]}" for k in sorted(counter)) + "}"


def functions(pc, qc, numeric):
    keys = sorted(set(pc) | set(qc))
    p = np.array([pc.get(k, 0) for k in keys], dtype=float)
    q = np.array([qc.get(k, 0) for k in keys], dtype=float)

    def props(c, a=0.0):
        c = c + a
        return c / c.sum()

    def psi(a):
        P, Q = props(p, a), props(q, a)
        total = 0.0
        for x, y in zip(P, Q):
            if x > 0 and y > 0:
                total += (x - y) * math.log(x / y)
            elif x > 0 or y > 0:
                return math.inf
        return total

    P, Q = props(p), props(q)
    nz = (p + q) > 0
    table = np.array([p[nz], q[nz]])
    chi2_p = 1.0 if table.shape[1] == 1 else float(chi2_contingency(table).pvalue)
    out = {
        "kl_pq": float(entropy(p, q)),
        "kl_qp": float(entropy(q, p)),
        "kl_pq_alpha1": float(entropy(p + 1, q + 1)),
        "kl_qp_alpha0_5": float(entropy(q + 0.5, p + 0.5)),
        "js": float(jensenshannon(p, q) ** 2),
        "hellinger": float(np.sqrt(0.5 * np.sum((np.sqrt(P) - np.sqrt(Q)) ** 2))),
        "tvd": float(0.5 * np.abs(P - Q).sum()),
        "psi": float(psi(0.0)),
        "psi_alpha1": float(psi(1.0)),
        "entropy_p": float(entropy(p)),
        "entropy_q": float(entropy(q)),
        "chi2_p": chi2_p,
    }
    if numeric:
        ks = [float(k) for k in keys]
        out["wasserstein"] = float(wasserstein_distance(ks, ks, p, q))
    return out


def sql_value(v):
    if math.isinf(v):
        return "CAST('Infinity' AS DOUBLE)"
    return repr(float(v))


def check_expr(expr, v):
    if math.isinf(v):
        return f"{expr} = {sql_value(v)}"
    return f"abs({expr} - {sql_value(v)}) <= {REL} * abs({sql_value(v)}) + 1e-15"


CHECKS = [
    ("kl_pq", "kl_div(p.h, q.h)"),
    ("kl_qp", "kl_div(q.h, p.h)"),
    ("kl_pq_alpha1", "kl_div(p.h, q.h, 1)"),
    ("kl_qp_alpha0_5", "kl_div(q.h, p.h, 0.5)"),
    ("js", "js_div(p.h, q.h)"),
    ("hellinger", "hellinger(p.h, q.h)"),
    ("tvd", "tvd(p.h, q.h)"),
    ("psi", "psi(p.h, q.h)"),
    ("psi_alpha1", "psi(p.h, q.h, 1)"),
    ("entropy_p", "hist_entropy(p.h)"),
    ("entropy_q", "hist_entropy(q.h)"),
    ("chi2_p", "chi2_test(p.h, q.h)"),
    ("wasserstein", "wasserstein(p.h, q.h)"),
]


def values_sql(xs):
    def lit(x):
        return f"'{x}'" if isinstance(x, str) else repr(x)

    return "(VALUES " + ", ".join(f"({lit(x)})" for x in xs) + ") AS v(x)"


def main():
    ffhq = read_csv(FFHQ)
    sf = read_csv(STYLEFLOW)
    f_path = f"'$SHARED/annotations/{FFHQ}'"
    s_path = f"'$SHARED/annotations/{STYLEFLOW}'"
    f_file, s_file = "ffhq", "styleflow"
    age_edges = [0, 20, 40, 60, 200]

    def thresh(rows, col):
        return [float(r[col]) >= 0.5 for r in rows if r[col] != ""]

    # (name, what, P sql, P values, Q sql, Q values, numeric keys, print histograms)
    cases = [
        ("male", "FFHQ gender = 'male' vs StyleFlow gender_male >= 0.5",
         f"SELECT attr_hist(gender = 'male') AS h FROM {f_file}",
         [r["gender"] == "male" for r in ffhq if r["gender"] != ""],
         f"SELECT attr_hist(gender_male >= 0.5) AS h FROM {s_file}",
         thresh(sf, "gender_male"), False, True),
        ("glasses", "FFHQ glasses <> 'NoGlasses' vs StyleFlow glasses >= 0.5",
         f"SELECT attr_hist(glasses <> 'NoGlasses') AS h FROM {f_file}",
         [r["glasses"] != "NoGlasses" for r in ffhq if r["glasses"] != ""],
         f"SELECT attr_hist(glasses >= 0.5) AS h FROM {s_file}",
         thresh(sf, "glasses"), False, True),
        ("smile", "smile >= 0.5 in both",
         f"SELECT attr_hist(smile >= 0.5) AS h FROM {f_file}", thresh(ffhq, "smile"),
         f"SELECT attr_hist(smile >= 0.5) AS h FROM {s_file}", thresh(sf, "smile"), False, True),
        ("beard", "beard >= 0.5 in both",
         f"SELECT attr_hist(beard >= 0.5) AS h FROM {f_file}", thresh(ffhq, "beard"),
         f"SELECT attr_hist(beard >= 0.5) AS h FROM {s_file}", thresh(sf, "beard"), False, True),
        ("baldness", "FFHQ bald >= 0.5 vs StyleFlow baldness >= 0.5",
         f"SELECT attr_hist(bald >= 0.5) AS h FROM {f_file}", thresh(ffhq, "bald"),
         f"SELECT attr_hist(baldness >= 0.5) AS h FROM {s_file}", thresh(sf, "baldness"),
         False, True),
        ("age_edges", "age binned by edges [0, 20, 40, 60, 200]",
         f"SELECT attr_hist(age, [0, 20, 40, 60, 200]) AS h FROM {f_file}",
         bin_edges(floats(ffhq, "age"), age_edges),
         f"SELECT attr_hist(age, [0, 20, 40, 60, 200]) AS h FROM {s_file}",
         bin_edges(floats(sf, "age"), age_edges), True, True),
        ("age_width10", "age binned by width 10",
         f"SELECT attr_hist(age, 10) AS h FROM {f_file}", bin_width(floats(ffhq, "age"), 10.0),
         f"SELECT attr_hist(age, 10) AS h FROM {s_file}", bin_width(floats(sf, "age"), 10.0),
         True, True),
        ("age_raw", "age unbinned (Float64 keys)",
         f"SELECT attr_hist(age) AS h FROM {f_file}", floats(ffhq, "age"),
         f"SELECT attr_hist(age) AS h FROM {s_file}", floats(sf, "age"), True, False),
    ]
    small = [
        ("small_ints", "small integers; Q has a value P lacks", [1, 1, 2, 3, 3, 3], [1, 2, 2, 2, 3, 4], True),
        ("strings", "string values", ["a", "a", "b", "c"], ["a", "b", "b", "b", "c", "c"], False),
        ("disjoint", "disjoint supports", [1, 1, 2], [5, 6], True),
        ("single", "one value on both sides", [7, 7, 7], [7], True),
        ("yates", "two values (1 degree of freedom: Yates)", [0] * 30 + [1] * 10, [0] * 20 + [1] * 25, True),
    ]
    for name, what, xs, ys, numeric in small:
        cases.append((name, what, f"SELECT attr_hist(x) AS h FROM {values_sql(xs)}", xs,
                      f"SELECT attr_hist(x) AS h FROM {values_sql(ys)}", ys, numeric, True))

    expected = {
        "generated_by": "scripts/scipy_reference.py",
        "scipy": scipy.__version__,
        "numpy": np.__version__,
        "relative_tolerance": REL,
        "cases": [],
    }
    slt = [
        "# Generated by scripts/scipy_reference.py from scipy "
        f"{scipy.__version__} / numpy {np.__version__}: do not edit by hand.",
        "# Each function must agree with scipy to a relative 1e-9 (true = agrees).",
        "",
        "statement ok",
        f"CREATE TABLE ffhq AS SELECT * FROM {f_path}",
        "",
        "statement ok",
        f"CREATE TABLE styleflow AS SELECT * FROM {s_path}",
        "",
    ]
    # The headline: one statement over the CSV files, KL in both directions.
    pc = Counter(r["gender"] == "male" for r in ffhq if r["gender"] != "")
    qc = Counter(float(r["gender_male"]) >= 0.5 for r in sf if r["gender_male"] != "")
    head = functions(pc, qc, False)
    slt += [
        "# Real (FFHQ, gender = 'male') vs synthetic (StyleFlow, gender_male >= 0.5) in one statement.",
        "query RR",
        "SELECT round(kl_div(p.h, q.h), 12) AS kl_real_synth, round(kl_div(q.h, p.h), 12) AS kl_synth_real",
        f"FROM (SELECT attr_hist(gender = 'male') AS h FROM {f_path}) p,",
        f"     (SELECT attr_hist(gender_male >= 0.5) AS h FROM {s_path}) q",
        "----",
        f"{rust_float(df_round(head['kl_pq']))} {rust_float(df_round(head['kl_qp']))}",
        "",
    ]
    for name, what, p_sql, pv, q_sql, qv, numeric, show in cases:
        pc, qc = Counter(pv), Counter(qv)
        vals = functions(pc, qc, numeric)
        if name == "age_raw":
            # The histogram route must equal scipy on the raw samples.
            raw = wasserstein_distance(pv, qv)
            assert abs(raw - vals["wasserstein"]) <= 1e-12 * raw, (raw, vals["wasserstein"])
        case = {"name": name, "what": what, "p_sql": p_sql, "q_sql": q_sql, "values": vals}
        if show:
            case["p_hist"] = hist_text(pc)
            case["q_hist"] = hist_text(qc)
        expected["cases"].append(case)

        with_ = f"WITH p AS ({p_sql}), q AS ({q_sql})"
        slt.append(f"# {name}: {what}")
        if show:
            slt += ["query TT", f"{with_} SELECT p.h, q.h FROM p, q", "----",
                    f"{hist_text(pc)} {hist_text(qc)}", ""]
        heads = [rust_float(df_round(vals[k])) if math.isfinite(vals[k]) else "inf"
                 for k in ("kl_pq", "kl_qp")]
        slt += ["query RR",
                f"{with_} SELECT round(kl_div(p.h, q.h), 12), round(kl_div(q.h, p.h), 12) FROM p, q",
                "----", " ".join(heads), ""]
        checks = [(k, e) for k, e in CHECKS if k in vals]
        slt += ["query " + "T" * len(checks),
                f"{with_} SELECT " + ", ".join(check_expr(e, vals[k]) for k, e in checks)
                + " FROM p, q",
                "----", " ".join("true" for _ in checks), ""]

    with open(os.path.join(ROOT, "tests", "fixtures", "scipy_expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")
    with open(os.path.join(ROOT, "tests", "slt", "functions_scipy.slt"), "w") as f:
        f.write("\n".join(slt))
    for c in expected["cases"]:
        v = c["values"]
        print(f"{c['name']:12} KL(P|Q)={v['kl_pq']:.15g} KL(Q|P)={v['kl_qp']:.15g} chi2 p={v['chi2_p']:.6g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
