//! CelebA `list_attr_celeba.txt`: line 1 the row count, line 2 the 40 attribute names, then
//! `file v1 ... v40` with -1 / 1, whitespace separated.
//!
//! The 34 attributes whose names are MAAD-Face names keep them; CelebA's other six (Blurry,
//! Mouth_Slightly_Open, Narrow_Eyes, Pale_Skin, Straight_Hair, Wearing_Necklace) are kept too,
//! as Int8 label columns after the MAAD ones.

use std::io::{BufRead, BufReader};
use std::path::Path;

use super::ImportError;
use super::input::parse_label;
use super::table::{Extra, Imported};
use crate::annotations::MAAD_ATTRIBUTES;

/// Reads a CelebA attribute file, checking the row count of line 1.
pub fn read(path: &Path) -> Result<Imported, ImportError> {
    let f = std::fs::File::open(path).map_err(|e| ImportError::file(path, format!("cannot read: {e}")))?;
    let mut lines = BufReader::new(f).lines();
    let mut next = |n: u64| -> Result<Option<String>, ImportError> {
        lines
            .next()
            .transpose()
            .map_err(|e| ImportError::at(path, n, 0, "", format!("cannot read: {e}")))
    };
    let first =
        next(1)?.ok_or_else(|| ImportError::file(path, "empty file: expected the row count on line 1"))?;
    let declared: u64 = first.trim().parse().map_err(|_| {
        ImportError::at(
            path,
            1,
            1,
            "",
            format!("expected the row count, found '{}'", first.trim()),
        )
    })?;
    let names_line = next(2)?
        .ok_or_else(|| ImportError::at(path, 2, 0, "", "missing header: expected the attribute names"))?;
    let names: Vec<String> = names_line.split_whitespace().map(str::to_string).collect();
    if names.is_empty() {
        return Err(ImportError::at(
            path,
            2,
            0,
            "",
            "missing header: expected the attribute names",
        ));
    }
    for (i, n) in names.iter().enumerate() {
        let ok = n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && n.chars().any(|c| c.is_ascii_alphabetic());
        if !ok {
            return Err(ImportError::at(
                path,
                2,
                i + 1,
                "",
                format!("missing header: expected attribute names on line 2, found '{n}'"),
            ));
        }
        if names[..i].contains(n) {
            return Err(ImportError::at(
                path,
                2,
                i + 1,
                n,
                format!("attribute '{n}' appears twice"),
            ));
        }
    }
    let mut columns: Vec<Vec<i8>> = names
        .iter()
        .map(|_| Vec::with_capacity(declared as usize))
        .collect();
    let mut out = Imported::default();
    let mut line_no = 2u64;
    while let Some(line) = next(line_no + 1)? {
        line_no += 1;
        let mut fields = line.split_whitespace();
        let Some(file) = fields.next() else { continue };
        out.path.push(file.to_string());
        let mut count = 0;
        for (i, v) in fields.enumerate() {
            if i >= names.len() {
                return Err(ImportError::at(
                    path,
                    line_no,
                    i + 2,
                    "",
                    format!("expected {} values after the file name, found more", names.len()),
                ));
            }
            let label = parse_label(v).filter(|l| *l != 0).ok_or_else(|| {
                ImportError::at(
                    path,
                    line_no,
                    i + 2,
                    &names[i],
                    format!("expected -1 or 1, found '{v}'"),
                )
            })?;
            columns[i].push(label);
            count += 1;
        }
        if count < names.len() {
            return Err(ImportError::at(
                path,
                line_no,
                count + 2,
                &names[count],
                format!(
                    "expected {} values after the file name, found {count}",
                    names.len()
                ),
            ));
        }
    }
    let found = out.path.len() as u64;
    if found != declared {
        return Err(ImportError::at(
            path,
            1,
            1,
            "",
            format!("line 1 declares {declared} rows, the file has {found}"),
        ));
    }
    for (name, values) in names.into_iter().zip(columns) {
        match MAAD_ATTRIBUTES.iter().copied().find(|a| *a == name.as_str()) {
            Some(maad) => {
                out.labels.insert(maad, values);
            }
            None => out.extras.push((name, Extra::Label(values))),
        }
    }
    Ok(out)
}
