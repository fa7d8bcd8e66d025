//! Writes the seed corpora of the fuzz targets (`fuzz/`) into `fuzz/corpus/<target>/` from the
//! shared data (`../shared/data` beside the project, or `$MACSQL_SHARED_DATA`), so that nothing
//! of it is copied into the repository: the first lines of each annotation file the importers
//! read, the bundle manifests, small annotation tables as Parquet, and small images in every
//! format the decoder reads. `fuzz/run.sh` runs it first.
//!
//! Usage (from the repository root): `cargo run --example fuzz_seeds`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use image::ImageFormat;
use macsql::{Band, ImportFormat, Kind, import, write_parquet_atomic};

fn shared() -> PathBuf {
    std::env::var_os("MACSQL_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("../shared/data"))
}

fn head(path: &Path, lines: usize) -> Vec<u8> {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = Vec::new();
    for line in BufReader::new(file).lines().take(lines) {
        out.extend_from_slice(line.expect("a line").as_bytes());
        out.push(b'\n');
    }
    out
}

fn corpus(target: &str) -> PathBuf {
    let dir = Path::new("fuzz/corpus").join(target);
    std::fs::create_dir_all(&dir).expect("create the corpus folder");
    dir
}

fn main() {
    let data = shared();
    let ann = data.join("annotations");
    // import: the format byte (FORMATS order of the target), then the file's first lines.
    let imports: [(u8, &str, PathBuf); 5] = [
        (0, "maad", PathBuf::new()),
        (1, "celeba", ann.join("celeba_list_attr.txt")),
        (2, "fairface", ann.join("fairface_val_1000.csv")),
        (3, "faceapi", ann.join("ffhq_faceapi.csv")),
        (4, "styleflow", ann.join("styleflow_stylegan2_faceapi.csv")),
    ];
    let dir = corpus("import");
    for (pick, name, path) in &imports {
        let body = if name == &"maad" {
            b"Filename,Identity,Male,Young,5_o_Clock_Shadow\nn000001/0001_01.jpg,n000001,1,-1,0\nn000002/0002_01.jpg,n000002,-1,1,1\n".to_vec()
        } else {
            head(path, 12)
        };
        let mut seed = vec![*pick];
        seed.extend(body);
        std::fs::write(dir.join(name), seed).expect("write a seed");
    }
    // manifest: the repository's bundles.
    let dir = corpus("manifest");
    for entry in std::fs::read_dir("models").expect("models/") {
        let path = entry.expect("an entry").path();
        if path.extension().is_some_and(|e| e == "toml") {
            std::fs::copy(&path, dir.join(path.file_name().unwrap())).expect("copy a manifest");
        }
    }
    // label_scan: small annotation tables as macsql writes them.
    let dir = corpus("label_scan");
    for (pick, name, path) in &imports[3..] {
        let format = [ImportFormat::Faceapi, ImportFormat::Styleflow][usize::from(*pick) - 3];
        let (schema, batch) = import(format, path, name, Kind::Real, Band::default()).expect("import");
        let out = dir.join(format!("{name}.parquet"));
        write_parquet_atomic(&out, schema, [Ok(batch.slice(0, 40))]).expect("write a table");
    }
    // image: a few shared photos, small, in each format the decoder reads.
    let dir = corpus("image");
    let photos = ["real/ffhq", "real/celeba", "synthetic"];
    for (i, folder) in photos.iter().enumerate() {
        let mut files: Vec<PathBuf> = walk(&data.join("images").join(folder));
        files.sort();
        let Some(first) = files.first() else { continue };
        let img = image::open(first).expect("a shared image").into_rgb8();
        let small = image::imageops::thumbnail(&img, 48, 48);
        for (format, ext) in [
            (ImageFormat::Jpeg, "jpg"),
            (ImageFormat::Png, "png"),
            (ImageFormat::WebP, "webp"),
            (ImageFormat::Bmp, "bmp"),
        ] {
            small
                .save_with_format(dir.join(format!("{i}.{ext}")), format)
                .expect("write a seed image");
        }
    }
    println!("seed corpora written under fuzz/corpus/");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p
                .extension()
                .and_then(|x| x.to_str())
                .is_some_and(|x| ["jpg", "jpeg", "png", "webp"].contains(&x.to_ascii_lowercase().as_str()))
            {
                out.push(p);
            }
        }
    }
    out
}
