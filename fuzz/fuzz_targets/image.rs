//! Image decoding and preprocessing as `macsql annotate` runs them: JPEG, PNG, WebP or BMP
//! bytes, checked for being whole, decoded, oriented, cropped, resized, chipped and
//! normalised. Any file may be refused; none may panic or give a non-finite model input.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    macsql::fuzzing::image(data);
});
