"""The paper's study from Python, on the simulated demo table: which direction of the KL
divergence explains which? (Neto et al., FG 2024: real data explains the synthetic
distributions better than the other way round.)

    pip install ./python matplotlib
    python examples/notebook.py            # writes target/notebook-asymmetry.png

Cells are separated by `# %%`, so VS Code / Jupyter (jupytext) run it as a notebook.
The demo table is SIMULATED (see the README, "Demo catalog"); any annotation table written by
`macsql annotate` or `macsql import` can take its place with `con.register("demo", path)`.
"""

# %% Connect: an engine with the simulated paper-scale catalog at 5% of the paper's sizes.
import pathlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

import macsql

con = macsql.connect(demo=0.05)
print(con.sql("SELECT dataset, kind, count(*) AS images FROM demo GROUP BY dataset, kind ORDER BY kind, dataset"))

# %% Every attribute, every ordered pair of datasets: KL in both directions (one table function).
pairs = con.sql(
    """
    SELECT c.attribute, c.dataset_p AS real, c.dataset_q AS synthetic, c.kl_pq, c.kl_qp
    FROM compare_attributes('demo', 'dataset', 'alpha=0.5') c
    JOIN (SELECT DISTINCT dataset, kind FROM demo) p ON p.dataset = c.dataset_p
    JOIN (SELECT DISTINCT dataset, kind FROM demo) q ON q.dataset = c.dataset_q
    WHERE p.kind = 'real' AND q.kind = 'synthetic'
    """
).to_pandas()
print(pairs.head())

# %% The paper's finding, per pair: mean KL(real || synthetic) against KL(synthetic || real).
summary = (
    pairs.groupby(["real", "synthetic"])[["kl_pq", "kl_qp"]].mean().reset_index().sort_values(["real", "synthetic"])
)
summary["KL(synthetic || real) smaller"] = summary["kl_qp"] < summary["kl_pq"]
print(summary.to_string(index=False))

# %% One chart: the two directions side by side for every (real, synthetic) pair.
labels = [f"{r}\nvs {s}" for r, s in zip(summary["real"], summary["synthetic"])]
x = range(len(labels))
fig, ax = plt.subplots(figsize=(10, 4))
ax.bar([i - 0.2 for i in x], summary["kl_pq"], width=0.4, label="KL(real || synthetic)")
ax.bar([i + 0.2 for i in x], summary["kl_qp"], width=0.4, label="KL(synthetic || real)")
ax.set_xticks(list(x), labels, fontsize=7)
ax.set_ylabel("mean KL over 47 attributes (nats)")
ax.set_title("SIMULATED demo: which direction of the divergence is smaller?")
ax.legend()
fig.tight_layout()
out = pathlib.Path("target/notebook-asymmetry.png")
out.parent.mkdir(exist_ok=True)
fig.savefig(out, dpi=120)
print(f"chart: {out}")

# %% A subgroup: senior men only, as polars, with the Arrow maps of attr_hist.
seniors = con.sql(
    "SELECT dataset, attr_hist(Smiling) AS smiling FROM demo WHERE Male = 1 AND Senior = 1 GROUP BY dataset ORDER BY dataset"
).to_polars()
print(seniors)
