//! Decoding image files for the classifier, refusing files that were not read whole: a JPEG
//! without its end-of-image marker after the scan data, a PNG without its `IEND` chunk, a WebP
//! shorter than its RIFF header says, a BMP shorter than its header says. Decoders pad a cut
//! file with grey silently, and a label for a half-read face is worse than none. The EXIF
//! orientation of a photo is applied, so rotated camera pictures show upright faces.

use std::io::Cursor;
use std::path::Path;

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits, RgbImage};

/// The most pixels an image may have (128 Mi, e.g. 16384 x 8192): more than any camera photo,
/// and a bound on what a header can make macsql allocate (a 48-byte PNG header can declare
/// 150,994,944 x 48 pixels: found by the fuzz target `image`, input `oom-cef06993`).
pub const MAX_PIXELS: u64 = 128 * 1024 * 1024;

/// The most bytes a decoder may allocate (the RGBA buffer of `MAX_PIXELS` and some).
const MAX_ALLOC: u64 = 4 * MAX_PIXELS + (64 << 20);

/// Decodes the image at `path` into RGB (orientation applied).
pub fn decode_file(path: &Path) -> Result<RgbImage, String> {
    let bytes = match crate::storage::remote_url(path) {
        Some(url) => {
            let url = url.to_string();
            crate::storage::block_on(async move { crate::storage::get(&url).await })
                .map_err(|e| e.to_string())?
                .to_vec()
        }
        None => std::fs::read(path).map_err(|e| e.to_string())?,
    };
    decode(&bytes)
}

/// Decodes image bytes into RGB (format sniffed from the content, orientation applied).
pub fn decode(bytes: &[u8]) -> Result<RgbImage, String> {
    let format = image::guess_format(bytes)
        .map_err(|_| "cannot decode image: not a JPEG, PNG, WebP or BMP file".to_string())?;
    check_complete(bytes, format)?;
    let reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut decoder = reader
        .into_decoder()
        .map_err(|e| format!("cannot decode image: {e}"))?;
    let (w, h) = decoder.dimensions();
    if u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(format!(
            "cannot decode image: {w} x {h} pixels is more than macsql decodes ({MAX_PIXELS} pixels)"
        ));
    }
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_ALLOC);
    decoder
        .set_limits(limits)
        .map_err(|e| format!("cannot decode image: {e}"))?;
    let orientation = decoder.orientation().ok();
    let mut img = DynamicImage::from_decoder(decoder).map_err(|e| format!("cannot decode image: {e}"))?;
    if let Some(o) = orientation {
        img.apply_orientation(o);
    }
    Ok(img.into_rgb8())
}

/// Whether `bytes` hold a whole file of `format`; the error says what is missing.
pub fn check_complete(bytes: &[u8], format: ImageFormat) -> Result<(), String> {
    let truncated = |what: &str| {
        Err(format!(
            "truncated {what} file ({} bytes): {}",
            bytes.len(),
            hint(format)
        ))
    };
    match format {
        ImageFormat::Jpeg => {
            if !jpeg_has_end(bytes) {
                return truncated("JPEG");
            }
        }
        ImageFormat::Png => {
            // The last chunk: length 0, type IEND, CRC AE 42 60 82 (trailing bytes allowed).
            const IEND: [u8; 12] = [0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xAE, 0x42, 0x60, 0x82];
            if !bytes.windows(IEND.len()).rev().take(64).any(|w| w == IEND) {
                return truncated("PNG");
            }
        }
        ImageFormat::WebP => {
            let declared = bytes
                .get(4..8)
                .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize);
            if declared.is_none_or(|n| bytes.len() < n + 8) {
                return truncated("WebP");
            }
        }
        ImageFormat::Bmp => {
            let declared = bytes
                .get(2..6)
                .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize);
            if declared.is_some_and(|n| n > 0 && bytes.len() < n) {
                return truncated("BMP");
            }
        }
        _ => {
            return Err(format!(
                "cannot decode image: {format:?} is not supported (JPEG, PNG, WebP, BMP)"
            ));
        }
    }
    Ok(())
}

fn hint(format: ImageFormat) -> &'static str {
    match format {
        ImageFormat::Jpeg => "no end-of-image marker after the scan data",
        ImageFormat::Png => "no IEND chunk",
        _ => "shorter than its header says",
    }
}

/// Whether a JPEG has an end-of-image marker (FF D9) after its first start-of-scan segment.
/// Marker segments before the scan are walked by their lengths, so an EXIF thumbnail's own
/// end marker does not count; inside the entropy-coded data FF is always followed by 00 or a
/// restart / scan marker, so an FF D9 there is the end.
fn jpeg_has_end(b: &[u8]) -> bool {
    let mut i = 2; // after SOI
    while i + 4 <= b.len() {
        if b[i] != 0xFF {
            return false;
        }
        let marker = b[i + 1];
        if marker == 0xFF {
            i += 1; // fill byte
            continue;
        }
        if marker == 0xD9 {
            return false; // EOI before any scan
        }
        let len = usize::from(u16::from_be_bytes([b[i + 2], b[i + 3]]));
        if marker == 0xDA {
            let scan = (i + 2 + len).min(b.len());
            return b[scan..].windows(2).any(|w| w == [0xFF, 0xD9]);
        }
        i += 2 + len;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(format: ImageFormat) -> Vec<u8> {
        let img = RgbImage::from_fn(40, 30, |x, y| image::Rgb([x as u8 * 6, y as u8 * 8, 128]));
        let mut out = Cursor::new(Vec::new());
        DynamicImage::ImageRgb8(img).write_to(&mut out, format).unwrap();
        out.into_inner()
    }

    /// CRC-32 (ISO-HDLC), as PNG chunks carry it.
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    /// Regression test of fuzz finding `image` / `oom-cef06993`: a whole PNG whose header declares
    /// 150,994,944 x 48 pixels made the decoder allocate 21 GB; it is refused before decoding.
    #[test]
    fn fuzz_image_oom_cef06993_a_png_header_of_150_million_by_48_pixels_is_refused() {
        let mut png = encode(ImageFormat::Png);
        // Signature (8), IHDR length (4) and type (4), then width and height, then the CRC over
        // type and data (17 bytes).
        png[16..20].copy_from_slice(&0x0900_0000u32.to_be_bytes());
        png[20..24].copy_from_slice(&48u32.to_be_bytes());
        let crc = crc32(&png[12..29]);
        png[29..33].copy_from_slice(&crc.to_be_bytes());
        let err = decode(&png).unwrap_err();
        assert!(
            err.contains("150994944 x 48 pixels is more than macsql decodes"),
            "{err}"
        );
    }

    #[test]
    fn whole_files_decode() {
        for f in [
            ImageFormat::Jpeg,
            ImageFormat::Png,
            ImageFormat::WebP,
            ImageFormat::Bmp,
        ] {
            let img = decode(&encode(f)).unwrap_or_else(|e| panic!("{f:?}: {e}"));
            assert_eq!(img.dimensions(), (40, 30));
        }
    }

    #[test]
    fn truncated_files_are_refused_in_every_format() {
        for f in [
            ImageFormat::Jpeg,
            ImageFormat::Png,
            ImageFormat::WebP,
            ImageFormat::Bmp,
        ] {
            let bytes = encode(f);
            for keep in [bytes.len() * 2 / 3, bytes.len() - 2] {
                let e = decode(&bytes[..keep]).expect_err(&format!("{f:?} cut to {keep}"));
                assert!(
                    e.contains("truncated") || e.contains("cannot decode"),
                    "{f:?}: {e}"
                );
            }
        }
    }

    #[test]
    fn a_jpeg_with_trailing_bytes_is_whole() {
        let mut bytes = encode(ImageFormat::Jpeg);
        bytes.extend_from_slice(b"\0\0trailing");
        assert!(decode(&bytes).is_ok());
    }

    #[test]
    fn garbage_bytes_do_not_decode() {
        assert!(decode(b"not an image").unwrap_err().contains("not a JPEG"));
        assert!(decode(&[0xFF, 0xD8, 0xFF]).is_err());
    }
}
