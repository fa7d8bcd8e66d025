//! Asymmetry scatter data: D(P‖Q) against D(Q‖P) per attribute for one pair of datasets.

use super::*;

pub(super) fn asymmetry_long(table: &Table, cols: &Columns) -> Result<Asymmetry, String> {
    let pairs = pairs(table, cols);
    let [(p, q), (q2, p2)] = pairs.as_slice() else {
        return Err(format!(
            "found {} ordered pairs (P, Q); an asymmetry chart needs exactly two, P‖Q and Q‖P",
            pairs.len()
        ));
    };
    if p != p2 || q != q2 {
        return Err(format!(
            "the pairs {p}‖{q} and {q2}‖{p2} are not one pair in both orders"
        ));
    }
    let (value, label) = (cols.values[0], cols.labels[0]);
    let (mut names, mut seen) = (Vec::new(), HashMap::new());
    let mut xy: HashMap<usize, (Option<f64>, Option<f64>)> = HashMap::new();
    for r in 0..table.len {
        let i = index_of(&mut names, &mut seen, table.text(label, r));
        let forward = table.text(cols.labels[1], r) == *p;
        let e = xy.entry(i).or_default();
        if forward {
            e.0 = table.number(value, r);
        } else {
            e.1 = table.number(value, r);
        }
    }
    let fname = &cols.names[value];
    let points = names
        .iter()
        .enumerate()
        .filter_map(|(i, n)| match xy.get(&i) {
            Some((Some(x), Some(y))) => Some((n.clone(), *x, *y)),
            _ => None,
        })
        .collect();
    Ok(Asymmetry {
        x_name: format!("{fname}({p}‖{q})"),
        y_name: format!("{fname}({q}‖{p})"),
        points,
    })
}
