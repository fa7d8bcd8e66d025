//! Face alignment: each model's landmark template (and the part of its frame the chip shows),
//! and the similarity transform (rotation, uniform scale, translation) that best maps it onto
//! the detected landmarks (least squares, Umeyama 1991). The chip itself is cut in
//! [`crate::mac::face::chip`].

use std::collections::BTreeMap;

use serde::Deserialize;

/// Landmark names a detector may report, left and right as seen in the image.
pub const LANDMARK_NAMES: [&str; 8] = [
    "left_eye",
    "right_eye",
    "nose",
    "mouth_left",
    "mouth_right",
    "mouth",
    "left_ear",
    "right_ear",
];

/// The `dlib` template: the landmarks in dlib's face-chip frame (the unit square that
/// `get_face_chip_details` pads), from dlib's 68-point mean face shape: eye centres as the mean
/// of the six points of each eye (36-41, 42-47), the nose tip (30), the mouth corners (48, 54)
/// and the mouth centre between the inner lips (62, 66). Ears are not in the template.
pub const DLIB_TEMPLATE: [(&str, [f64; 2]); 6] = [
    ("left_eye", [0.225_491_8, 0.215_990_3]),
    ("right_eye", [0.754_761_3, 0.215_990_3]),
    ("nose", [0.490_127, 0.515_625]),
    ("mouth_left", [0.254_149, 0.780_233]),
    ("mouth_right", [0.726_104, 0.780_233]),
    ("mouth", [0.490_127, 0.808_572_5]),
];

/// The `align` table of a `[[model]]`: the landmark template the model's face chips were made
/// with and how much of the template's frame the chip shows.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlignSpec {
    /// A built-in template (`"dlib"`, the default), unless `points` gives one.
    #[serde(default)]
    pub template: Option<String>,
    /// A template of one's own: landmark name -> `[x, y]` in a unit face frame.
    #[serde(default)]
    pub points: Option<BTreeMap<String, [f64; 2]>>,
    /// The chip shows the frame grown by this fraction on every side (dlib's `padding`;
    /// default 0.2, as dlib's face chips).
    #[serde(default)]
    pub padding: Option<f64>,
    /// Or exactly this `[left, top, right, bottom]` of the frame (for off-centre chips).
    #[serde(default, rename = "box")]
    pub frame_box: Option<[f64; 4]>,
}

/// A model's resolved alignment: which detector landmarks it uses and where each must land in
/// the chip (chip pixels).
#[derive(Debug, Clone, PartialEq)]
pub struct Alignment {
    /// Indices into the detector's landmarks.
    pub landmarks: Vec<usize>,
    /// Target position of each, in chip pixels.
    pub targets: Vec<[f64; 2]>,
}

impl AlignSpec {
    /// The frame box the chip shows.
    pub fn frame(&self) -> Result<[f64; 4], (String, String)> {
        match (self.padding, self.frame_box) {
            (Some(_), Some(_)) => Err(("padding".into(), "give either padding or box, not both".into())),
            (_, Some(b)) => {
                if b.iter().all(|v| v.is_finite()) && b[2] > b[0] && b[3] > b[1] {
                    Ok(b)
                } else {
                    Err((
                        "box".into(),
                        "expected [left, top, right, bottom] with left < right, top < bottom".into(),
                    ))
                }
            }
            (p, None) => {
                let p = p.unwrap_or(0.2);
                if (0.0..=2.0).contains(&p) {
                    Ok([-p, -p, 1.0 + p, 1.0 + p])
                } else {
                    Err(("padding".into(), "expected a fraction between 0 and 2".into()))
                }
            }
        }
    }

    /// Resolves the template against a detector's landmark names for a `w` x `h` chip. The
    /// error is (key within `align`, message).
    pub fn resolve(&self, landmarks: &[String], w: u32, h: u32) -> Result<Alignment, (String, String)> {
        let points: Vec<(String, [f64; 2])> = match (&self.points, self.template.as_deref()) {
            (Some(_), Some(_)) => {
                return Err(("points".into(), "give either template or points, not both".into()));
            }
            (Some(p), None) => p.iter().map(|(k, v)| (k.clone(), *v)).collect(),
            (None, None | Some("dlib")) => DLIB_TEMPLATE.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            (None, Some(other)) => {
                return Err((
                    "template".into(),
                    format!("unknown template '{other}' (built in: dlib; or give points)"),
                ));
            }
        };
        for (name, _) in &points {
            if !LANDMARK_NAMES.contains(&name.as_str()) {
                return Err((
                    format!("points.{name}"),
                    format!(
                        "unknown landmark (expected one of: {})",
                        LANDMARK_NAMES.join(", ")
                    ),
                ));
            }
        }
        let [l, t, r, b] = self.frame()?;
        let mut out = Alignment {
            landmarks: Vec::new(),
            targets: Vec::new(),
        };
        for (i, name) in landmarks.iter().enumerate() {
            if let Some((_, [x, y])) = points.iter().find(|(n, _)| n == name) {
                out.landmarks.push(i);
                out.targets
                    .push([(x - l) / (r - l) * f64::from(w), (y - t) / (b - t) * f64::from(h)]);
            }
        }
        if out.landmarks.len() < 2 {
            return Err((
                "template".into(),
                format!(
                    "the template shares fewer than 2 landmarks with the detector's ({})",
                    landmarks.join(", ")
                ),
            ));
        }
        Ok(out)
    }
}

impl Alignment {
    /// The chip-to-image transform for a face's landmarks (source pixels); `None` when the
    /// landmarks are degenerate.
    pub fn transform(&self, landmarks: &[[f32; 2]]) -> Option<Affine> {
        let to: Vec<[f64; 2]> = self
            .landmarks
            .iter()
            .map(|&i| landmarks.get(i).map(|p| [f64::from(p[0]), f64::from(p[1])]))
            .collect::<Option<_>>()?;
        similarity(&self.targets, &to)
    }
}

/// A 2-D similarity (or any affine) map: `[x', y'] = [a b; c d] [x, y] + [tx, ty]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Affine {
    /// Row-major `[a, b, tx, c, d, ty]`.
    pub m: [f64; 6],
}

impl Affine {
    /// The image of point `p`.
    pub fn apply(&self, [x, y]: [f64; 2]) -> [f64; 2] {
        let m = &self.m;
        [m[0] * x + m[1] * y + m[2], m[3] * x + m[4] * y + m[5]]
    }

    /// The scale factor (length of the image of a unit vector).
    pub fn scale(&self) -> f64 {
        self.m[0].hypot(self.m[3])
    }
}

/// The least-squares similarity transform mapping `from` onto `to` (Umeyama's closed form for
/// two dimensions, without reflection). `None` for fewer than two points or when all `from`
/// points coincide.
pub fn similarity(from: &[[f64; 2]], to: &[[f64; 2]]) -> Option<Affine> {
    let n = from.len().min(to.len());
    if n < 2 {
        return None;
    }
    let mean = |p: &[[f64; 2]]| {
        let s = p[..n].iter().fold([0.0, 0.0], |a, q| [a[0] + q[0], a[1] + q[1]]);
        [s[0] / n as f64, s[1] / n as f64]
    };
    let (mf, mt) = (mean(from), mean(to));
    // With complex numbers z = x + iy, the best w = s e^{i theta} minimising sum |w z_f - z_t|^2
    // is w = sum(conj(z_f) z_t) / sum |z_f|^2 (centred): a = Re, b = Im.
    let (mut re, mut im, mut norm) = (0.0, 0.0, 0.0);
    for (f, t) in from[..n].iter().zip(&to[..n]) {
        let (fx, fy) = (f[0] - mf[0], f[1] - mf[1]);
        let (tx, ty) = (t[0] - mt[0], t[1] - mt[1]);
        re += fx * tx + fy * ty;
        im += fx * ty - fy * tx;
        norm += fx * fx + fy * fy;
    }
    if norm <= f64::EPSILON {
        return None;
    }
    let (a, b) = (re / norm, im / norm);
    Some(Affine {
        m: [
            a,
            -b,
            mt[0] - (a * mf[0] - b * mf[1]),
            b,
            a,
            mt[1] - (b * mf[0] + a * mf[1]),
        ],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: [f64; 2], b: [f64; 2]) -> bool {
        (a[0] - b[0]).abs() < 1e-9 && (a[1] - b[1]).abs() < 1e-9
    }

    #[test]
    fn similarity_recovers_a_known_transform() {
        // Rotate 30 degrees, scale 2.5, translate (10, -4): the reference transform.
        let (s, t) = (2.5f64, 30f64.to_radians());
        let reference = Affine {
            m: [s * t.cos(), -s * t.sin(), 10.0, s * t.sin(), s * t.cos(), -4.0],
        };
        let from = [[0.0, 0.0], [1.0, 0.0], [0.3, 0.8], [-2.0, 5.0], [4.0, 4.0]];
        let to: Vec<[f64; 2]> = from.iter().map(|&p| reference.apply(p)).collect();
        let got = similarity(&from, &to).unwrap();
        for (g, w) in got.m.iter().zip(reference.m) {
            assert!((g - w).abs() < 1e-9, "{:?}", got.m);
        }
        assert!((got.scale() - 2.5).abs() < 1e-9);
    }

    #[test]
    fn similarity_is_the_least_squares_fit() {
        // Noisy points: the fit beats small perturbations of itself.
        let from = [[0.2, 0.2], [0.8, 0.2], [0.5, 0.5], [0.3, 0.8], [0.7, 0.8]];
        let to = [
            [30.0, 41.0],
            [92.0, 38.0],
            [60.0, 72.0],
            [37.0, 100.0],
            [88.0, 104.0],
        ];
        let fit = similarity(&from, &to).unwrap();
        let cost = |a: &Affine| -> f64 {
            from.iter()
                .zip(&to)
                .map(|(f, t)| {
                    let p = a.apply(*f);
                    (p[0] - t[0]).powi(2) + (p[1] - t[1]).powi(2)
                })
                .sum()
        };
        let best = cost(&fit);
        for k in [0, 2, 5] {
            for d in [-0.01, 0.01] {
                let mut m = fit.m;
                m[k] += d;
                if k == 0 {
                    m[4] += d; // keep it a similarity
                }
                assert!(cost(&Affine { m }) > best);
            }
        }
        assert!(similarity(&from[..1], &to[..1]).is_none());
        assert!(similarity(&[[1.0, 1.0], [1.0, 1.0]], &to[..2]).is_none());
    }

    #[test]
    fn dlib_padding_places_the_template_like_dlib() {
        let names: Vec<String> = ["left_eye", "right_eye", "nose", "left_ear"]
            .map(String::from)
            .to_vec();
        let spec = AlignSpec {
            template: None,
            points: None,
            padding: Some(0.2),
            frame_box: None,
        };
        let a = spec.resolve(&names, 64, 64).unwrap();
        // The ear is not in the template.
        assert_eq!(a.landmarks, vec![0, 1, 2]);
        // dlib: (padding + p) / (2 padding + 1) * size.
        let want = (0.2 + 0.225_491_8) / 1.4 * 64.0;
        assert!((a.targets[0][0] - want).abs() < 1e-9);
        let e = AlignSpec {
            padding: Some(0.1),
            frame_box: Some([0.0, 0.0, 1.0, 1.0]),
            ..spec.clone()
        };
        assert_eq!(e.resolve(&names, 8, 8).unwrap_err().0, "padding");
        let e = AlignSpec {
            template: Some("ffhq".into()),
            ..spec.clone()
        };
        assert!(
            e.resolve(&names, 8, 8)
                .unwrap_err()
                .1
                .contains("unknown template")
        );
        let few = vec!["left_eye".to_string(), "left_ear".to_string()];
        assert!(spec.resolve(&few, 8, 8).unwrap_err().1.contains("fewer than 2"));
    }

    #[test]
    fn template_points_map_onto_landmarks() {
        let from: Vec<[f64; 2]> = DLIB_TEMPLATE.iter().take(5).map(|(_, p)| *p).collect();
        let to: Vec<[f64; 2]> = from
            .iter()
            .map(|p| [p[0] * 100.0 + 20.0, p[1] * 100.0 + 30.0])
            .collect();
        let a = similarity(&from, &to).unwrap();
        assert!(close(a.apply(from[2]), to[2]));
    }
}
