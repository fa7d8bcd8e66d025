//! Antialiased bilinear resampling of 8-bit RGB, bit for bit the algorithm of Pillow's
//! `Image.resize(size, Image.BILINEAR)` (Resample.c: a triangle filter widened by the
//! shrink factor, 22-bit fixed-point weights, a horizontal pass rounded to 8 bits, then a
//! vertical pass), so that macsql feeds the models the same pixels as the Python pipelines
//! the models were published with. It reads straight from a crop box of the decoded image
//! (no copy of the crop) and is several times faster than the generic `image` resizer.

/// Fixed-point precision of the weights (Pillow: 32 - 8 - 2 bits).
const PRECISION_BITS: u32 = 22;

/// One output coordinate's window: the first input index and the fixed-point weights.
#[derive(Debug, Clone, PartialEq)]
struct Window {
    start: usize,
    weights: Vec<i32>,
}

/// The triangle (bilinear) filter of support 1.
fn triangle(x: f64) -> f64 {
    let x = x.abs();
    if x < 1.0 { 1.0 - x } else { 0.0 }
}

/// The windows mapping `input` pixels onto `output` pixels (Pillow's `precompute_coeffs`
/// followed by `normalize_coeffs_8bpc`).
fn windows(input: usize, output: usize) -> Vec<Window> {
    let scale = input as f64 / output as f64;
    let filter_scale = scale.max(1.0);
    let support = filter_scale;
    (0..output)
        .map(|xx| {
            let center = (xx as f64 + 0.5) * scale;
            let xmin = ((center - support + 0.5) as i64).max(0) as usize;
            let xmax = ((center + support + 0.5) as i64).min(input as i64) as usize;
            let raw: Vec<f64> = (xmin..xmax.max(xmin))
                .map(|x| triangle((x as f64 - center + 0.5) / filter_scale))
                .collect();
            let total: f64 = raw.iter().sum();
            let weights = raw
                .iter()
                .map(|w| {
                    let w = if total != 0.0 { w / total } else { *w };
                    let fixed = w * f64::from(1u32 << PRECISION_BITS);
                    if w < 0.0 {
                        (fixed - 0.5) as i32
                    } else {
                        (fixed + 0.5) as i32
                    }
                })
                .collect();
            Window { start: xmin, weights }
        })
        .collect()
}

/// A fixed-point sum back to an 8-bit value (Pillow's `clip8`).
#[inline]
fn clip8(acc: i32) -> u8 {
    (acc >> PRECISION_BITS).clamp(0, 255) as u8
}

/// Resizes the `(x, y, w, h)` box of the packed RGB image `src` (`src_width` pixels a row) to
/// `out_w` x `out_h`, returning packed RGB. Passes whose size does not change are skipped, as
/// in Pillow. The vertical pass accumulates whole rows (vectorised by the compiler).
pub fn resize_rgb(
    src: &[u8],
    src_width: usize,
    (x, y, w, h): (usize, usize, usize, usize),
    out_w: usize,
    out_h: usize,
) -> Vec<u8> {
    let stride = src_width * 3;
    let half = 1i32 << (PRECISION_BITS - 1);
    let horizontal: Vec<u8> = if out_w == w {
        (0..h)
            .flat_map(|r| {
                let row = (y + r) * stride + x * 3;
                src[row..row + w * 3].iter().copied()
            })
            .collect()
    } else {
        let cols = windows(w, out_w);
        let mut buf = vec![0u8; h * out_w * 3];
        for (r, line) in buf.chunks_exact_mut(out_w * 3).enumerate() {
            let row = &src[(y + r) * stride + x * 3..(y + r) * stride + (x + w) * 3];
            for (px, win) in line.chunks_exact_mut(3).zip(&cols) {
                let (mut a0, mut a1, mut a2) = (half, half, half);
                let taps = &row[win.start * 3..(win.start + win.weights.len()) * 3];
                for (s, wgt) in taps.chunks_exact(3).zip(&win.weights) {
                    a0 += i32::from(s[0]) * wgt;
                    a1 += i32::from(s[1]) * wgt;
                    a2 += i32::from(s[2]) * wgt;
                }
                px[0] = clip8(a0);
                px[1] = clip8(a1);
                px[2] = clip8(a2);
            }
        }
        buf
    };
    if out_h == h {
        return horizontal;
    }
    let line = out_w * 3;
    let rows = windows(h, out_h);
    let mut out = vec![0u8; out_h * line];
    let mut acc = vec![0i32; line];
    for (dst, win) in out.chunks_exact_mut(line).zip(&rows) {
        acc.fill(half);
        let taps = &horizontal[win.start * line..(win.start + win.weights.len()) * line];
        for (src_row, wgt) in taps.chunks_exact(line).zip(&win.weights) {
            for (a, s) in acc.iter_mut().zip(src_row) {
                *a += i32::from(*s) * wgt;
            }
        }
        for (d, a) in dst.iter_mut().zip(&acc) {
            *d = clip8(*a);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_of_a_window_sum_to_one() {
        for (input, output) in [(154, 64), (154, 32), (100, 100), (10, 40), (7, 3)] {
            for win in windows(input, output) {
                let sum: i64 = win.weights.iter().map(|w| i64::from(*w)).sum();
                assert!(
                    (sum - (1 << PRECISION_BITS)).abs() <= win.weights.len() as i64,
                    "{input}->{output}"
                );
                assert!(win.start + win.weights.len() <= input);
            }
        }
    }

    #[test]
    fn shrinking_weights_like_pillow() {
        // Pillow: Image.frombytes("RGB", (4, 1), bytes([0,0,0, 100,100,100, 200,200,200, 50,50,50]))
        //   .resize((2, 1), Image.BILINEAR) -> [(71,71,71), (121,121,121)]
        // (support 2: weights 3/7, 3/7, 1/7 and 1/7, 3/7, 3/7).
        let src = [0, 0, 0, 100, 100, 100, 200, 200, 200, 50, 50, 50];
        let out = resize_rgb(&src, 4, (0, 0, 4, 1), 2, 1);
        assert_eq!(out, vec![71, 71, 71, 121, 121, 121]);
    }

    /// The 23 x 19 test pattern of `pillow_parity`.
    fn pattern() -> Vec<u8> {
        (0..19usize)
            .flat_map(|y| {
                (0..23usize)
                    .flat_map(move |x| (0..3usize).map(move |c| ((x * 37 + y * 91 + c * 53) % 256) as u8))
            })
            .collect()
    }

    #[test]
    fn pillow_parity() {
        // Pillow 13.0: im.crop((2, 3, 20, 17)).resize((7, 5), Image.BILINEAR).tobytes() and
        // im.crop((4, 4, 9, 8)).resize((9, 7), Image.BILINEAR).tobytes() of `pattern()`.
        let shrunk: [u8; 105] = [
            120, 132, 128, 117, 137, 121, 124, 140, 151, 120, 123, 129, 123, 108, 122, 128, 135, 117, 118,
            119, 122, 126, 139, 140, 115, 129, 136, 118, 140, 125, 128, 138, 143, 115, 125, 132, 126, 112,
            120, 130, 125, 116, 142, 130, 126, 131, 138, 134, 115, 130, 135, 117, 138, 129, 125, 140, 139,
            117, 124, 136, 125, 113, 121, 130, 125, 138, 143, 129, 126, 130, 140, 133, 117, 128, 137, 115,
            137, 128, 126, 140, 141, 116, 129, 136, 136, 137, 116, 120, 127, 142, 147, 132, 124, 132, 136,
            130, 115, 131, 145, 118, 138, 118, 123, 135, 140,
        ];
        let grown: [u8; 189] = [
            0, 53, 106, 12, 65, 118, 33, 86, 139, 53, 106, 159, 74, 127, 180, 95, 148, 201, 115, 168, 221,
            136, 189, 242, 148, 201, 254, 33, 86, 139, 45, 98, 151, 66, 119, 172, 86, 139, 151, 107, 160,
            121, 128, 181, 142, 148, 191, 162, 169, 160, 183, 181, 142, 195, 85, 138, 191, 97, 150, 203, 118,
            171, 224, 138, 191, 139, 159, 212, 27, 180, 233, 48, 200, 227, 68, 221, 115, 89, 233, 48, 101,
            137, 190, 115, 149, 159, 127, 170, 109, 148, 133, 115, 111, 83, 136, 61, 104, 157, 82, 124, 163,
            102, 145, 112, 123, 157, 82, 135, 170, 223, 38, 182, 156, 50, 203, 44, 71, 118, 38, 91, 6, 59,
            112, 27, 80, 133, 47, 100, 151, 68, 121, 162, 80, 133, 168, 76, 129, 90, 88, 111, 102, 109, 80,
            123, 89, 90, 143, 58, 111, 164, 79, 132, 185, 99, 152, 187, 120, 173, 117, 132, 185, 74, 17, 70,
            123, 29, 82, 135, 50, 103, 156, 70, 123, 176, 91, 144, 197, 112, 165, 218, 132, 185, 210, 153,
            206, 88, 165, 218, 15,
        ];
        let src = pattern();
        assert_eq!(resize_rgb(&src, 23, (2, 3, 18, 14), 7, 5), shrunk.to_vec());
        assert_eq!(resize_rgb(&src, 23, (4, 4, 5, 4), 9, 7), grown.to_vec());
    }

    #[test]
    fn same_size_copies_the_crop_box() {
        let src: Vec<u8> = (0..4 * 3 * 3).map(|v| v as u8).collect();
        // 4 x 3 image, box (1, 1, 2, 2)
        let out = resize_rgb(&src, 4, (1, 1, 2, 2), 2, 2);
        assert_eq!(out, vec![15, 16, 17, 18, 19, 20, 27, 28, 29, 30, 31, 32]);
    }

    #[test]
    fn constant_images_stay_constant() {
        let src = vec![77u8; 150 * 120 * 3];
        let out = resize_rgb(&src, 150, (10, 5, 131, 107), 64, 64);
        assert!(out.iter().all(|v| *v == 77));
        let up = resize_rgb(&src, 150, (0, 0, 5, 5), 17, 9);
        assert!(up.iter().all(|v| *v == 77));
    }
}
