//! Region statistics: the colour and texture of landmark-defined regions of an aligned face
//! chip (hair above the forehead, temples, lips, chin, cheeks, eyes, ...), as features for the
//! learned attribute heads. The models' own features carry shape (glasses, beards) well but
//! colour and coverage (hair colour, grey hair, baldness, make-up) poorly; these statistics
//! carry exactly that. Pure functions of the chip.
//!
//! Each region is a box in dlib's unit face frame (eye centres at y = 0.216, x = 0.225 / 0.755;
//! mouth corners at y = 0.78; x to the image right, y down). Per region: mean and deviation of
//! R, G, B and CIELab L, a, b; the 10th, 50th and 90th percentile of L; mean saturation; mean
//! gradient magnitude; the share of its pixels inside the source image; and its mean Lab minus
//! the cheeks' (skin) mean Lab. A region less than a quarter inside the image gives NaN
//! statistics (the heads replace a NaN by the feature's training mean).

use image::RgbImage;

use crate::mac::face::align::Affine;

/// The regions: name and `[left, top, right, bottom]` in dlib's unit face frame.
pub const REGIONS: [(&str, [f64; 4]); 23] = [
    ("top", [0.15, -0.68, 0.85, -0.42]),
    ("hairline", [0.25, -0.40, 0.75, -0.22]),
    ("forehead", [0.30, -0.18, 0.70, -0.02]),
    ("temple_l", [-0.18, -0.15, 0.05, 0.25]),
    ("temple_r", [0.95, -0.15, 1.18, 0.25]),
    ("side_l", [-0.12, 0.30, 0.08, 0.65]),
    ("side_r", [0.92, 0.30, 1.12, 0.65]),
    ("outer_l", [-0.50, 0.00, -0.22, 0.70]),
    ("outer_r", [1.22, 0.00, 1.50, 0.70]),
    ("brows", [0.08, 0.03, 0.92, 0.15]),
    ("eye_l", [0.10, 0.14, 0.35, 0.30]),
    ("eye_r", [0.64, 0.14, 0.89, 0.30]),
    ("bridge", [0.40, 0.14, 0.58, 0.30]),
    ("under_eye", [0.12, 0.30, 0.88, 0.38]),
    ("cheek_l", [0.12, 0.42, 0.32, 0.62]),
    ("cheek_r", [0.67, 0.42, 0.87, 0.62]),
    ("nose", [0.42, 0.36, 0.58, 0.52]),
    ("upper_lip", [0.33, 0.63, 0.65, 0.73]),
    ("lips", [0.33, 0.74, 0.65, 0.86]),
    ("chin", [0.33, 0.90, 0.65, 1.06]),
    ("jaw_l", [0.04, 0.68, 0.28, 0.95]),
    ("jaw_r", [0.72, 0.68, 0.96, 0.95]),
    ("neck", [0.28, 1.15, 0.72, 1.40]),
];

/// The statistics of each region, in order.
pub const STATS: [&str; 21] = [
    "R", "G", "B", "sR", "sG", "sB", "L", "a", "b", "sL", "sa", "sb", "L10", "L50", "L90", "sat", "grad",
    "valid", "dL", "da", "db",
];

/// Number of features: regions x statistics.
pub const WIDTH: usize = REGIONS.len() * STATS.len();

/// The regions whose mean Lab is the skin reference.
const SKIN: [usize; 2] = [14, 15];

/// The smallest share of a region inside the source image for its statistics to count.
const MIN_VALID: f64 = 0.25;

/// Feature names, `region.stat`, in feature order.
#[cfg(test)]
fn names() -> Vec<String> {
    REGIONS
        .iter()
        .flat_map(|(r, _)| STATS.iter().map(move |s| format!("{r}.{s}")))
        .collect()
}

/// Which pixels of a `w` x `h` chip cut through `chip_to_image` lie inside an image of
/// `image_w` x `image_h` (pixel centres at +0.5), row-major.
pub fn inside_mask(chip_to_image: &Affine, w: u32, h: u32, image_w: u32, image_h: u32) -> Vec<bool> {
    let (iw, ih) = (f64::from(image_w), f64::from(image_h));
    (0..h)
        .flat_map(|y| (0..w).map(move |x| (x, y)))
        .map(|(x, y)| {
            let [u, v] = chip_to_image.apply([f64::from(x) + 0.5, f64::from(y) + 0.5]);
            (0.0..iw).contains(&u) && (0.0..ih).contains(&v)
        })
        .collect()
}

/// Which pixels of a `w` x `h` chip whose `frame` is `[left, top, right, bottom]` of the unit
/// face frame the statistics read (row-major): every region's box grown by one pixel on each
/// side for the gradient's neighbours. A chip need only be sampled there (about 40% of it).
pub fn read_mask(frame: [f64; 4], w: u32, h: u32) -> Vec<bool> {
    let (wu, hu) = (w as usize, h as usize);
    let mut mask = vec![false; wu * hu];
    for (_, r) in REGIONS {
        let [x0, y0, x1, y1] = pixel_box(r, frame, w, h);
        let (x0, y0, x1, y1) = (
            x0.saturating_sub(1),
            y0.saturating_sub(1),
            (x1 + 1).min(wu),
            (y1 + 1).min(hu),
        );
        for y in y0..y1 {
            mask[y * wu + x0..y * wu + x1.max(x0)].fill(true);
        }
    }
    mask
}

/// The sRGB (0..255) to linear table.
fn linear_table() -> [f32; 256] {
    let mut t = [0.0f32; 256];
    for (i, v) in t.iter_mut().enumerate() {
        let c = i as f64 / 255.0;
        *v = if c > 0.04045 {
            ((c + 0.055) / 1.055).powf(2.4) as f32
        } else {
            (c / 12.92) as f32
        };
    }
    t
}

/// CIELab (D65) of an sRGB pixel, given the linearisation table.
pub fn lab(lin: &[f32; 256], [r, g, b]: [u8; 3]) -> [f64; 3] {
    let (r, g, b) = (
        f64::from(lin[r as usize]),
        f64::from(lin[g as usize]),
        f64::from(lin[b as usize]),
    );
    let x = (0.412_456_4 * r + 0.357_576_1 * g + 0.180_437_5 * b) / 0.950_47;
    let y = 0.212_672_9 * r + 0.715_152_2 * g + 0.072_175 * b;
    let z = (0.019_333_9 * r + 0.119_192 * g + 0.950_304_1 * b) / 1.088_83;
    let f = |t: f64| {
        if t > 216.0 / 24389.0 {
            cbrt(t)
        } else {
            (24389.0 / 27.0 * t + 16.0) / 116.0
        }
    };
    let (fx, fy, fz) = (f(x), f(y), f(z));
    [116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)]
}

/// The cube root of positive `t`, to within a few ulps of `f64::cbrt`: the exponent divided by 3
/// in the bits for a first guess (a few per cent off), then 3 of Halley's steps (each cubes the
/// error). The soft libm cube root of the baseline x86-64 target cost more than the rest of the
/// region statistics together.
fn cbrt(t: f64) -> f64 {
    let mut r = f64::from_bits(t.to_bits() / 3 + 0x2A9F_7893_782D_A1CE);
    for _ in 0..3 {
        let r3 = r * r * r;
        r *= (r3 + 2.0 * t) / (2.0 * r3 + t);
    }
    r
}

/// The `q` quantile of sorted values, interpolated linearly (numpy's default).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let (i, frac) = (pos.floor() as usize, pos - pos.floor());
    let j = (i + 1).min(sorted.len() - 1);
    sorted[i] + (sorted[j] - sorted[i]) * frac
}

/// A region's pixel box in a `w` x `h` chip whose `frame` is `[left, top, right, bottom]` of the
/// unit face frame: half-open, clamped to the chip.
fn pixel_box(r: [f64; 4], frame: [f64; 4], w: u32, h: u32) -> [usize; 4] {
    let [l, t, rr, b] = frame;
    let px = |v: f64, lo: f64, hi: f64, n: u32| ((v - lo) / (hi - lo) * f64::from(n)).round_ties_even();
    let clamp = |v: f64, n: u32| v.clamp(0.0, f64::from(n)) as usize;
    [
        clamp(px(r[0], l, rr, w), w),
        clamp(px(r[1], t, b, h), h),
        clamp(px(r[2], l, rr, w), w),
        clamp(px(r[3], t, b, h), h),
    ]
}

/// Mean and (population) deviation.
fn mean_std(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / n;
    (m, var.sqrt())
}

/// The [`WIDTH`] region features of `chip` (whose frame is `frame` of dlib's unit face frame),
/// counting only the pixels where `inside` is true.
pub fn features(chip: &RgbImage, inside: &[bool], frame: [f64; 4]) -> Vec<f32> {
    let (w, h) = chip.dimensions();
    let (wu, hu) = (w as usize, h as usize);
    let px = chip.as_raw();
    let lin = linear_table();
    // Luma gradient (central differences, 0 on the border rows / columns).
    let gray: Vec<f64> = px
        .chunks_exact(3)
        .map(|p| 0.299 * f64::from(p[0]) + 0.587 * f64::from(p[1]) + 0.114 * f64::from(p[2]))
        .collect();
    let at = |x: usize, y: usize| gray[y * wu + x];
    let grad = |x: usize, y: usize| {
        let gx = if x > 0 && x + 1 < wu {
            (at(x + 1, y) - at(x - 1, y)) / 2.0
        } else {
            0.0
        };
        let gy = if y > 0 && y + 1 < hu {
            (at(x, y + 1) - at(x, y - 1)) / 2.0
        } else {
            0.0
        };
        (gx * gx + gy * gy).sqrt()
    };
    const OWN: usize = 18;
    let mut per: Vec<[f64; OWN]> = Vec::with_capacity(REGIONS.len());
    for (_, r) in REGIONS {
        let [x0, y0, x1, y1] = pixel_box(r, frame, w, h);
        let area = x1.saturating_sub(x0) * y1.saturating_sub(y0);
        let mut ch: [Vec<f64>; 6] = Default::default();
        let (mut sat, mut gsum) = (0.0, 0.0);
        for y in y0..y1 {
            for x in x0..x1 {
                let i = y * wu + x;
                if !inside[i] {
                    continue;
                }
                let p = [px[3 * i], px[3 * i + 1], px[3 * i + 2]];
                let l = lab(&lin, p);
                for k in 0..3 {
                    ch[k].push(f64::from(p[k]));
                    ch[3 + k].push(l[k]);
                }
                let (mx, mn) = (
                    p.iter().max().copied().unwrap_or(0),
                    p.iter().min().copied().unwrap_or(0),
                );
                sat += if mx > 0 {
                    f64::from(mx - mn) / f64::from(mx)
                } else {
                    0.0
                };
                gsum += grad(x, y);
            }
        }
        let n = ch[0].len();
        let frac = if area == 0 { 0.0 } else { n as f64 / area as f64 };
        let mut s = [f64::NAN; OWN];
        s[OWN - 1] = frac;
        if area > 0 && frac >= MIN_VALID {
            for k in 0..6 {
                let (m, sd) = mean_std(&ch[k]);
                let base = if k < 3 { 0 } else { 3 };
                s[base * 2 + k % 3] = m;
                s[base * 2 + 3 + k % 3] = sd;
            }
            let mut l = std::mem::take(&mut ch[3]);
            l.sort_unstable_by(f64::total_cmp);
            s[12] = quantile(&l, 0.1);
            s[13] = quantile(&l, 0.5);
            s[14] = quantile(&l, 0.9);
            s[15] = sat / n as f64;
            s[16] = gsum / n as f64;
        }
        per.push(s);
    }
    // The skin reference: the mean of the cheeks' mean Lab that are known.
    let skin: [f64; 3] = std::array::from_fn(|k| {
        let known: Vec<f64> = SKIN
            .iter()
            .map(|&r| per[r][6 + k])
            .filter(|v| !v.is_nan())
            .collect();
        if known.is_empty() {
            f64::NAN
        } else {
            known.iter().sum::<f64>() / known.len() as f64
        }
    });
    per.iter()
        .flat_map(|s| {
            s.iter()
                .copied()
                .chain((0..3).map(|k| s[6 + k] - skin[k]))
                .map(|v| v as f32)
                .collect::<Vec<_>>()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_features_read_only_the_read_mask() {
        // A chip that is noise outside the read mask gives the features of a black one.
        let (w, h) = (128, 128);
        let mask = read_mask(FRAME, w, h);
        let share = mask.iter().filter(|&&m| m).count() as f64 / mask.len() as f64;
        assert!(share > 0.2 && share < 0.6, "{share}");
        let base = RgbImage::from_fn(w, h, |x, y| image::Rgb([(x * 2) as u8, (y * 2) as u8, 90]));
        let noisy = RgbImage::from_fn(w, h, |x, y| {
            if mask[(y * w + x) as usize] {
                *base.get_pixel(x, y)
            } else {
                image::Rgb([((x * 7919 + y * 104_729) % 256) as u8, 3, 250])
            }
        });
        let all = vec![true; (w * h) as usize];
        let (a, b) = (features(&base, &all, FRAME), features(&noisy, &all, FRAME));
        assert!(
            a.iter()
                .zip(&b)
                .all(|(a, b)| a == b || (a.is_nan() && b.is_nan()))
        );
    }

    #[test]
    fn cube_root_matches_libm_on_labs_range() {
        for i in 0..=100_000 {
            let t = 216.0 / 24389.0 + f64::from(i) * (1.1 - 216.0 / 24389.0) / 100_000.0;
            assert!((cbrt(t) - t.cbrt()).abs() <= 4.0 * f64::EPSILON, "{t}");
        }
    }

    const FRAME: [f64; 4] = [-0.7, -0.7, 1.7, 1.7];

    #[test]
    fn lab_of_white_black_and_red_match_the_standard() {
        let lin = linear_table();
        let w = lab(&lin, [255, 255, 255]);
        assert!(
            (w[0] - 100.0).abs() < 1e-3 && w[1].abs() < 1e-2 && w[2].abs() < 1e-2,
            "{w:?}"
        );
        assert!(lab(&lin, [0, 0, 0])[0].abs() < 1e-9);
        // sRGB red: L 53.24, a 80.09, b 67.20.
        let r = lab(&lin, [255, 0, 0]);
        assert!(
            (r[0] - 53.24).abs() < 0.01 && (r[1] - 80.09).abs() < 0.02 && (r[2] - 67.20).abs() < 0.02,
            "{r:?}"
        );
    }

    #[test]
    fn a_uniform_chip_gives_its_colour_no_texture_and_zero_skin_difference() {
        let chip = RgbImage::from_pixel(128, 128, image::Rgb([200, 100, 50]));
        let f = features(&chip, &vec![true; 128 * 128], FRAME);
        assert_eq!(f.len(), WIDTH);
        assert_eq!(names().len(), WIDTH);
        for (r, _) in REGIONS.iter().enumerate() {
            let s = &f[r * STATS.len()..(r + 1) * STATS.len()];
            assert_eq!(&s[..3], &[200.0, 100.0, 50.0]);
            assert!(s[3..6].iter().all(|v| *v == 0.0));
            assert!(s[16] == 0.0 && s[17] == 1.0, "no gradient, all inside");
            assert!((s[15] - 0.75).abs() < 1e-6, "saturation (200-50)/200");
            assert!(s[18..].iter().all(|v| v.abs() < 1e-4));
        }
    }

    #[test]
    fn regions_outside_the_image_are_nan_but_report_their_share() {
        let chip = RgbImage::from_pixel(128, 128, image::Rgb([90, 90, 90]));
        // Only the lower half of the chip is inside the image.
        let inside: Vec<bool> = (0..128 * 128).map(|i| i / 128 >= 64).collect();
        let f = features(&chip, &inside, FRAME);
        let top = &f[..STATS.len()];
        assert!(top[0].is_nan() && top[17] == 0.0);
        let lips = &f[18 * STATS.len()..19 * STATS.len()];
        assert_eq!(lips[0], 90.0);
        assert_eq!(lips[17], 1.0);
    }

    #[test]
    fn the_mask_follows_the_transform() {
        // Chip pixel (x, y) -> image (x - 10, y): the first 10 columns fall outside.
        let t = Affine {
            m: [1.0, 0.0, -10.0, 0.0, 1.0, 0.0],
        };
        let m = inside_mask(&t, 20, 2, 100, 100);
        assert_eq!(m.iter().filter(|v| **v).count(), 20);
        assert!(!m[9] && m[10]);
    }

    #[test]
    fn quantiles_interpolate_as_numpy() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert!((quantile(&v, 0.1) - 1.3).abs() < 1e-12);
        assert_eq!(quantile(&v, 0.5), 2.5);
    }
}
