//! `macsql import`: the first byte picks the format (MAAD-Face, CelebA, FairFace, Face API,
//! StyleFlow), the rest is the file. Any input may be refused with an error; none may panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use macsql::{Band, ImportFormat, Kind, import};

const FORMATS: [ImportFormat; 5] = [
    ImportFormat::Maad,
    ImportFormat::Celeba,
    ImportFormat::Fairface,
    ImportFormat::Faceapi,
    ImportFormat::Styleflow,
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, file)) = data.split_first() else {
        return;
    };
    let format = FORMATS[usize::from(pick) % FORMATS.len()];
    let path = std::env::temp_dir().join(format!("macsql-fuzz-import-{}.csv", std::process::id()));
    std::fs::write(&path, file).expect("write the input");
    if let Ok((schema, batch)) = import(format, &path, "fuzz", Kind::Real, Band::default()) {
        assert_eq!(schema.fields().len(), batch.num_columns());
    }
});
