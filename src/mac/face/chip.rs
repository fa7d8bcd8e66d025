//! Face chips: a model's input cut from the decoded image through the alignment transform.
//!
//! A chip much smaller than the face would alias if sampled directly, and supersampling it
//! directly costs scale² bilinear samples per pixel. As dlib's `extract_image_chip` does, the
//! face's region is first halved (2 x 2 box average) as many times as the smallest chip needs, and
//! each chip is then sampled from the level where it shrinks by less than 2, with 2 x 2 bilinear
//! samples per pixel: antialiased at a fixed, small cost. Pixels outside the image are black.

use std::cell::OnceCell;

use image::RgbImage;

use crate::mac::face::align::Affine;

/// One level of the face region: the region halved `k` times.
#[derive(Debug, Clone)]
struct Level {
    pixels: Vec<u8>,
    width: usize,
    height: usize,
    /// The pixels as `[R, G, B, 0]` floats, made when a chip first samples this level: each
    /// source pixel is converted once instead of at each of the (up to 16) taps that read it,
    /// and the four lanes are computed together.
    lanes: OnceCell<Vec<[f32; 4]>>,
}

impl Level {
    fn new(pixels: Vec<u8>, width: usize, height: usize) -> Self {
        Level {
            pixels,
            width,
            height,
            lanes: OnceCell::new(),
        }
    }

    fn lanes(&self) -> &[[f32; 4]] {
        self.lanes.get_or_init(|| {
            self.pixels
                .chunks_exact(3)
                .map(|p| [f32::from(p[0]), f32::from(p[1]), f32::from(p[2]), 0.0])
                .collect()
        })
    }
}

/// The face region of an image (with a black border where it passes the image's edge) and its
/// halvings, for cutting chips through transforms.
#[derive(Debug)]
pub struct Pyramid {
    /// Top-left corner of the region in source pixels (may be negative).
    origin: (i64, i64),
    /// `levels[k]` is the region halved `k` times.
    levels: Vec<Level>,
}

/// How many halvings a chip at `scale` source pixels per chip pixel is sampled after: the most
/// that leave it shrinking by at least 1 (so 1 <= remaining scale < 2).
pub fn level_for(scale: f64) -> usize {
    if scale >= 2.0 {
        (scale.log2().floor() as usize).min(12)
    } else {
        0
    }
}

/// The source-pixel box `[x0, y0, x1, y1]` a `w` x `h` chip through `m` reads.
pub fn footprint(m: &Affine, w: u32, h: u32) -> [f64; 4] {
    let corners = [
        [0.0, 0.0],
        [f64::from(w), 0.0],
        [0.0, f64::from(h)],
        [f64::from(w), f64::from(h)],
    ];
    corners.iter().fold(
        [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY],
        |b, &c| {
            let [x, y] = m.apply(c);
            [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)]
        },
    )
}

/// The largest region side (source pixels) a pyramid copies; beyond it chips read a clipped
/// region (and see black past it), so that a degenerate transform cannot ask for gigabytes.
const MAX_SIDE: f64 = 16384.0;

impl Pyramid {
    /// The region of `image` that chips `(transform, width, height)` read, copied with a black
    /// border where it passes the image's edge, and as many halvings as the smallest chip needs.
    pub fn new(image: &RgbImage, chips: &[(Affine, u32, u32)]) -> Self {
        let depth = chips
            .iter()
            .map(|(m, _, _)| level_for(m.scale()))
            .max()
            .unwrap_or(0);
        let mut region = [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];
        for (m, w, h) in chips {
            let f = footprint(m, *w, *h);
            region = [
                region[0].min(f[0]),
                region[1].min(f[1]),
                region[2].max(f[2]),
                region[3].max(f[3]),
            ];
        }
        // Two pixels of the deepest level beyond the footprints: bilinear taps stay inside.
        let margin = 2.0 * f64::from(1u32 << depth);
        let (iw, ih) = (f64::from(image.width()), f64::from(image.height()));
        let bound = |v: f64, lo: f64, hi: f64| if v.is_finite() { v.clamp(lo, hi) } else { 0.0 };
        let x0 = bound((region[0] - margin).floor(), -MAX_SIDE, iw);
        let y0 = bound((region[1] - margin).floor(), -MAX_SIDE, ih);
        let x1 = bound(
            (region[2] + margin).ceil(),
            x0,
            (x0 + MAX_SIDE).min(iw + MAX_SIDE),
        );
        let y1 = bound(
            (region[3] + margin).ceil(),
            y0,
            (y0 + MAX_SIDE).min(ih + MAX_SIDE),
        );
        let origin = (x0 as i64, y0 as i64);
        let base = copy_region(image, origin, ((x1 - x0) as usize, (y1 - y0) as usize));
        let mut levels = vec![base];
        for _ in 0..depth {
            let last = &levels[levels.len() - 1];
            if last.width < 2 || last.height < 2 {
                break;
            }
            let next = halve(last);
            levels.push(next);
        }
        Pyramid { origin, levels }
    }

    /// The `w` x `h` chip through `chip_to_image` (chip pixel centres at +0.5, source pixel
    /// centres at +0.5): from the level where it shrinks by less than 2, 2 x 2 bilinear samples
    /// per pixel (1 when it does not shrink).
    pub fn chip(&self, chip_to_image: &Affine, w: u32, h: u32) -> RgbImage {
        self.chip_where(chip_to_image, w, h, None)
    }

    /// Like [`Pyramid::chip`], sampling only the pixels where `only` (row-major, `w` x `h`) is
    /// true; the others stay black. For a reader of part of a chip (the region statistics).
    pub fn chip_where(&self, chip_to_image: &Affine, w: u32, h: u32, only: Option<&[bool]>) -> RgbImage {
        let k = level_for(chip_to_image.scale()).min(self.levels.len() - 1);
        let level = &self.levels[k];
        let s = f64::from(1u32 << k);
        let m = chip_to_image.m;
        let (ox, oy) = (self.origin.0 as f64, self.origin.1 as f64);
        let m = [
            m[0] / s,
            m[1] / s,
            (m[2] - ox) / s,
            m[3] / s,
            m[4] / s,
            (m[5] - oy) / s,
        ]
        .map(|v| v as f32);
        let out = sample(level, m, w as usize, h as usize, only);
        RgbImage::from_raw(w, h, out).unwrap_or_else(|| unreachable!("w x h x 3 bytes"))
    }
}

/// The `width` x `height` region of `image` whose top-left corner is `origin` (source pixels,
/// possibly outside the image); black where it passes the image's edge.
fn copy_region(image: &RgbImage, origin: (i64, i64), (width, height): (usize, usize)) -> Level {
    let (iw, ih) = (i64::from(image.width()), i64::from(image.height()));
    let src = image.as_raw();
    let mut pixels = vec![0u8; width * height * 3];
    let (cx0, cx1) = (origin.0.clamp(0, iw), (origin.0 + width as i64).clamp(0, iw));
    if cx1 > cx0 {
        for y in 0..height {
            let sy = origin.1 + y as i64;
            if !(0..ih).contains(&sy) {
                continue;
            }
            let from = (sy * iw + cx0) as usize * 3..(sy * iw + cx1) as usize * 3;
            let to = (y * width + (cx0 - origin.0) as usize) * 3;
            pixels[to..to + from.len()].copy_from_slice(&src[from]);
        }
    }
    Level::new(pixels, width, height)
}

/// A level halved: each pixel the mean of a 2 x 2 block (a last odd row or column is dropped).
fn halve(level: &Level) -> Level {
    let (w, h) = (level.width / 2, level.height / 2);
    let stride = level.width * 3;
    let mut pixels = vec![0u8; w * h * 3];
    for (j, dst) in pixels.chunks_exact_mut(w * 3).enumerate() {
        let top = &level.pixels[2 * j * stride..2 * j * stride + 2 * w * 3];
        let bottom = &level.pixels[(2 * j + 1) * stride..(2 * j + 1) * stride + 2 * w * 3];
        for ((d, t), b) in dst
            .chunks_exact_mut(3)
            .zip(top.chunks_exact(6))
            .zip(bottom.chunks_exact(6))
        {
            for c in 0..3 {
                let sum = u16::from(t[c]) + u16::from(t[c + 3]) + u16::from(b[c]) + u16::from(b[c + 3]);
                d[c] = ((sum + 2) / 4) as u8;
            }
        }
    }
    Level::new(pixels, w, h)
}

/// Offsets of the 2 x 2 (or 1) samples within a chip pixel, as fractions of the pixel.
const SUB2: [(f32, f32); 4] = [(0.25, 0.25), (0.75, 0.25), (0.25, 0.75), (0.75, 0.75)];
const SUB1: [(f32, f32); 1] = [(0.5, 0.5)];

/// Samples a `w` x `h` chip from `level` through `m` (chip -> level pixels): bilinear, 2 x 2
/// samples per pixel when the chip shrinks, black outside (and where `only` is false).
fn sample(level: &Level, m: [f32; 6], w: usize, h: usize, only: Option<&[bool]>) -> Vec<u8> {
    let (sw, sh) = (level.width, level.height);
    let scale = m[0].hypot(m[3]);
    let subs: &[(f32, f32)] = if scale > 1.0 { &SUB2 } else { &SUB1 };
    let offsets: Vec<(f32, f32)> = subs
        .iter()
        .map(|&(u, v)| (m[0] * u + m[1] * v - 0.5, m[3] * u + m[4] * v - 0.5))
        .collect();
    let inv = 1.0 / subs.len() as f32;
    // The whole chip inside the level with a pixel to spare: no bounds checks, truncation is floor.
    let inside = [(0.0, 0.0), (w as f32, 0.0), (0.0, h as f32), (w as f32, h as f32)]
        .iter()
        .all(|&(u, v)| {
            let x = m[0] * u + m[1] * v + m[2];
            let y = m[3] * u + m[4] * v + m[5];
            x >= 1.0 && y >= 1.0 && x < sw as f32 - 1.0 && y < sh as f32 - 1.0
        });
    let lanes = level.lanes();
    let mut out = vec![0u8; w * h * 3];
    for oy in 0..h {
        for ox in 0..w {
            if only.is_some_and(|o| !o.get(oy * w + ox).copied().unwrap_or(true)) {
                continue;
            }
            let (u, v) = (ox as f32, oy as f32);
            let bx = m[0] * u + m[1] * v + m[2];
            let by = m[3] * u + m[4] * v + m[5];
            let mut acc = Lanes::zero();
            let mut edge;
            for &(dx, dy) in &offsets {
                let (x, y) = (bx + dx, by + dy);
                let (xi, yi) = if inside {
                    (x as i64, y as i64)
                } else {
                    (floor(x), floor(y))
                };
                let (fx, fy) = (x - xi as f32, y - yi as f32);
                let (top, bottom) = if inside {
                    // The chip's corners are inside with a pixel to spare, so are both columns.
                    let i = yi as usize * sw + xi as usize;
                    (&lanes[i..i + 2], &lanes[i + sw..i + sw + 2])
                } else {
                    let px = |x: i64, y: i64| -> [f32; 4] {
                        if x >= 0 && y >= 0 && x < sw as i64 && y < sh as i64 {
                            lanes[y as usize * sw + x as usize]
                        } else {
                            [0.0; 4]
                        }
                    };
                    edge = [[px(xi, yi), px(xi + 1, yi)], [px(xi, yi + 1), px(xi + 1, yi + 1)]];
                    (&edge[0][..], &edge[1][..])
                };
                acc.add_bilinear(top, bottom, fx, fy);
            }
            let o = (oy * w + ox) * 3;
            for (d, a) in out[o..o + 3].iter_mut().zip(acc.get()) {
                // + 0.5 then truncation: round half up (values are non-negative).
                *d = (a * inv + 0.5).min(255.0) as u8;
            }
        }
    }
    out
}

/// Four f32 lanes (R, G, B and an unused one) summing bilinear taps. Per lane, in this order:
/// `top = p00 + fx (p01 - p00)`, `bottom = p10 + fx (p11 - p10)`, `acc += top + fy (bottom -
/// top)`; the SSE path does exactly these operations four lanes at a time (no fused multiply-add),
/// so both paths give the same bits.
#[derive(Clone, Copy)]
struct Lanes(
    #[cfg(target_arch = "x86_64")] std::arch::x86_64::__m128,
    #[cfg(not(target_arch = "x86_64"))] [f32; 4],
);

#[cfg(target_arch = "x86_64")]
impl Lanes {
    fn zero() -> Self {
        // SAFETY: SSE is part of the x86-64 baseline (every x86-64 CPU has it).
        Lanes(unsafe { std::arch::x86_64::_mm_setzero_ps() })
    }

    /// Adds the bilinear tap at (`fx`, `fy`) between `top` = [p00, p01] and `bottom` = [p10, p11].
    #[inline]
    fn add_bilinear(&mut self, top: &[[f32; 4]], bottom: &[[f32; 4]], fx: f32, fy: f32) {
        use std::arch::x86_64::*;
        let (p00, p01, p10, p11) = (&top[0], &top[1], &bottom[0], &bottom[1]);
        // SAFETY: each load reads one [f32; 4] through a reference to it (16 bytes, unaligned
        // loads); SSE is part of the x86-64 baseline (every x86-64 CPU has it).
        unsafe {
            let (p00, p01) = (_mm_loadu_ps(p00.as_ptr()), _mm_loadu_ps(p01.as_ptr()));
            let (p10, p11) = (_mm_loadu_ps(p10.as_ptr()), _mm_loadu_ps(p11.as_ptr()));
            let (fx, fy) = (_mm_set1_ps(fx), _mm_set1_ps(fy));
            let t = _mm_add_ps(p00, _mm_mul_ps(fx, _mm_sub_ps(p01, p00)));
            let b = _mm_add_ps(p10, _mm_mul_ps(fx, _mm_sub_ps(p11, p10)));
            self.0 = _mm_add_ps(self.0, _mm_add_ps(t, _mm_mul_ps(fy, _mm_sub_ps(b, t))));
        }
    }

    fn get(self) -> [f32; 3] {
        let mut v = [0.0f32; 4];
        // SAFETY: `v` has room for the 4 lanes.
        unsafe { std::arch::x86_64::_mm_storeu_ps(v.as_mut_ptr(), self.0) };
        [v[0], v[1], v[2]]
    }
}

#[cfg(not(target_arch = "x86_64"))]
impl Lanes {
    fn zero() -> Self {
        Lanes([0.0; 4])
    }

    /// Adds the bilinear tap at (`fx`, `fy`) between `top` = [p00, p01] and `bottom` = [p10, p11].
    #[inline]
    fn add_bilinear(&mut self, top: &[[f32; 4]], bottom: &[[f32; 4]], fx: f32, fy: f32) {
        for c in 0..4 {
            let t = top[0][c] + fx * (top[1][c] - top[0][c]);
            let b = bottom[0][c] + fx * (bottom[1][c] - bottom[0][c]);
            self.0[c] += t + fy * (b - t);
        }
    }

    fn get(self) -> [f32; 3] {
        [self.0[0], self.0[1], self.0[2]]
    }
}

/// `x.floor()` as an integer without a libm call (baseline x86-64 has no rounding instruction).
#[inline]
fn floor(x: f32) -> i64 {
    let t = x as i64;
    if (t as f32) > x { t - 1 } else { t }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    fn one(img: &RgbImage, m: Affine, w: u32, h: u32) -> RgbImage {
        assert!(Pyramid::new(img, &[(m, w, h)]).levels.len() == level_for(m.scale()) + 1);
        Pyramid::new(img, &[(m, w, h)]).chip(&m, w, h)
    }

    #[test]
    fn identity_chip_copies_pixels() {
        let img = RgbImage::from_fn(8, 6, |x, y| Rgb([x as u8 * 30, y as u8 * 40, 7]));
        let c = one(
            &img,
            Affine {
                m: [1.0, 0.0, 2.0, 0.0, 1.0, 1.0],
            },
            4,
            3,
        );
        for (x, y, p) in c.enumerate_pixels() {
            assert_eq!(p, img.get_pixel(x + 2, y + 1), "({x}, {y})");
        }
    }

    #[test]
    fn shrinking_averages_the_footprint() {
        // A 2-pixel checkerboard shrunk 4x and 6x: every chip pixel covers as much black as
        // white, so it is mid grey (bilinear alone would alias to black or white).
        let img = RgbImage::from_fn(96, 96, |x, _| {
            if (x / 2) % 2 == 0 {
                Rgb([0; 3])
            } else {
                Rgb([255; 3])
            }
        });
        for s in [4.0, 6.0] {
            let c = one(
                &img,
                Affine {
                    m: [s, 0.0, 0.0, 0.0, s, 0.0],
                },
                16,
                16,
            );
            for p in c.pixels() {
                assert!((i32::from(p[0]) - 128).abs() <= 40, "scale {s}: {p:?}");
            }
        }
        assert_eq!(
            (level_for(1.5), level_for(2.0), level_for(6.25), level_for(0.5)),
            (0, 1, 2, 0)
        );
    }

    #[test]
    fn a_constant_image_stays_constant_at_every_level() {
        let img = RgbImage::from_pixel(300, 200, Rgb([90, 160, 30]));
        for s in [1.0, 2.5, 5.0, 9.0] {
            let m = Affine {
                m: [s * 0.8, -s * 0.6, 120.0, s * 0.6, s * 0.8, 20.0],
            };
            let c = one(&img, m, 12, 12);
            // Pixels well inside the image keep the colour.
            assert_eq!(c.get_pixel(2, 2), &Rgb([90, 160, 30]), "scale {s}");
        }
    }

    #[test]
    fn outside_the_image_is_black() {
        let img = RgbImage::from_pixel(10, 10, Rgb([200, 200, 200]));
        // Shifted 4.5 pixels right: chip pixel 4 straddles the image's left edge.
        let c = one(
            &img,
            Affine {
                m: [1.0, 0.0, -4.5, 0.0, 1.0, 0.0],
            },
            10,
            10,
        );
        assert_eq!(c.get_pixel(0, 5)[0], 0);
        assert_eq!(c.get_pixel(9, 5)[0], 200);
        assert_eq!(c.get_pixel(4, 5)[0], 100);
        // Shrunk 4x from far outside: black.
        let c = one(
            &img,
            Affine {
                m: [4.0, 0.0, -100.0, 0.0, 4.0, 0.0],
            },
            4,
            4,
        );
        assert!(c.pixels().all(|p| p[0] == 0));
    }

    #[test]
    fn a_partial_chip_equals_the_full_chip_where_sampled() {
        let img = RgbImage::from_fn(120, 90, |x, y| Rgb([(x * 2) as u8, (y * 3) as u8, (x ^ y) as u8]));
        let m = Affine {
            m: [1.6, -0.3, 14.0, 0.3, 1.6, 3.0],
        };
        let p = Pyramid::new(&img, &[(m, 40, 30)]);
        let only: Vec<bool> = (0..40 * 30).map(|i| i % 3 != 0).collect();
        let (full, part) = (p.chip(&m, 40, 30), p.chip_where(&m, 40, 30, Some(&only)));
        for (i, (a, b)) in full.pixels().zip(part.pixels()).enumerate() {
            assert_eq!(b, if only[i] { a } else { &Rgb([0, 0, 0]) }, "pixel {i}");
        }
    }

    #[test]
    fn floor_without_libm() {
        for x in [-2.5f32, -1.0, -0.2, 0.0, 0.3, 1.0, 7.9] {
            assert_eq!(floor(x), x.floor() as i64, "{x}");
        }
    }
}
