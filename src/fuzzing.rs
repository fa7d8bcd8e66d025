//! Entry points for the fuzz targets in `fuzz/`, compiled only under `cargo fuzz` (which sets
//! `cfg(fuzzing)`), for the parsers whose input the public API reaches only through ONNX
//! Runtime: image decoding and the preprocessing that turns a decoded image into model inputs.

use std::path::Path;
use std::sync::OnceLock;

use crate::mac::bundle::builtin;
use crate::mac::bundle::manifest::Bundle;
use crate::mac::face::align::Affine;
use crate::mac::face::chip::Pyramid;
use crate::mac::input::{decode, preprocess};

/// The built-in bundle's manifest (its crops and normalisation), parsed once; no model file is
/// read or hashed.
fn bundle() -> &'static Bundle {
    static BUNDLE: OnceLock<Bundle> = OnceLock::new();
    BUNDLE.get_or_init(|| {
        let (name, bytes) = builtin::FILES[0];
        let text = std::str::from_utf8(bytes).expect("the built-in manifest is UTF-8");
        Bundle::parse(Path::new(name), text).expect("the built-in manifest parses")
    })
}

/// Decodes `bytes` as `macsql annotate` does (refusing cut files, applying the EXIF
/// orientation); when they decode, cuts each model's fixed crop and a face chip from the image
/// and normalises them.
pub fn image(bytes: &[u8]) {
    let Ok(img) = decode::decode(bytes) else {
        return;
    };
    let bundle = bundle();
    let tensors = preprocess::crop_tensors(&img, &bundle.models);
    for (t, m) in tensors.iter().zip(&bundle.models) {
        assert!(
            t.iter().all(|v| v.is_finite()),
            "model {}: a non-finite input",
            m.name
        );
    }
    // A chip over the whole image, as after a detection covering it.
    const SIDE: u32 = 112;
    let s = f64::from(img.width().max(img.height())) / f64::from(SIDE);
    let to_image = Affine {
        m: [s, 0.0, 0.0, 0.0, s, 0.0],
    };
    let chip = Pyramid::new(&img, &[(to_image, SIDE, SIDE)]).chip(&to_image, SIDE, SIDE);
    assert_eq!(chip.dimensions(), (SIDE, SIDE));
}
