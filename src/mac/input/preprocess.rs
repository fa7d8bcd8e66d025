//! Image preprocessing (pure functions): the fixed face box of aligned datasets (`crop`),
//! resizing, colour conversion and normalisation into a model's input layout.

use image::RgbImage;

use crate::mac::bundle::manifest::{Layout, ModelSpec, Resize};

/// The pixel box `(x, y, width, height)` of a relative crop `[left, top, right, bottom]`
/// in a `w` x `h` image, clamped to the image and at least one pixel wide and high. Edges
/// round half to even, as Python's `round` in the published pipelines.
pub fn crop_box(w: u32, h: u32, crop: [f64; 4]) -> (u32, u32, u32, u32) {
    let edge = |f: f64, n: u32| (f * f64::from(n)).round_ties_even().max(0.0) as u32;
    let x0 = edge(crop[0], w).min(w.saturating_sub(1));
    let y0 = edge(crop[1], h).min(h.saturating_sub(1));
    let x1 = edge(crop[2], w).clamp(x0 + 1, w.max(x0 + 1));
    let y1 = edge(crop[3], h).clamp(y0 + 1, h.max(y0 + 1));
    (x0, y0, x1 - x0, y1 - y0)
}

/// Crops and resizes `img` for `model` into 8-bit RGB: antialiased bilinear resampling exactly
/// as Pillow's `crop(box).resize(size, BILINEAR)` ([`resample`](crate::mac::input::resample)), or with
/// `resize = "area"` the image crate's fast integer area averaging when shrinking.
pub fn crop_resize(img: &RgbImage, model: &ModelSpec) -> RgbImage {
    let (x, y, w, h) = crop_box(
        img.width(),
        img.height(),
        model.crop.unwrap_or([0.0, 0.0, 1.0, 1.0]),
    );
    let [tw, th] = model.size;
    if model.resize == Resize::Area && w >= tw && h >= th && (w, h) != (tw, th) {
        let view = image::imageops::crop_imm(img, x, y, w, h);
        return image::imageops::thumbnail(&*view, tw, th);
    }
    let pixels = crate::mac::input::resample::resize_rgb(
        img.as_raw(),
        img.width() as usize,
        (x as usize, y as usize, w as usize, h as usize),
        tw as usize,
        th as usize,
    );
    RgbImage::from_raw(tw, th, pixels).unwrap_or_else(|| unreachable!("resize_rgb returns tw x th pixels"))
}

/// Per-channel normalisation of 0..255 pixel values: `(v - mean) * scale` or
/// `(v - mean) / std`, one value for every channel or one per channel.
#[derive(Debug, Clone, PartialEq)]
pub struct Normalise {
    mean: Vec<f32>,
    mul: Vec<f32>,
}

impl Normalise {
    /// The normalisation of a manifest's `mean` with `scale` or `std`, for `channels` channels.
    pub fn new(mean: &[f32], scale: Option<f32>, std: Option<&[f32]>, channels: usize) -> Self {
        let pick = |v: &[f32], i: usize, default: f32| match v.len() {
            0 => default,
            1 => v[0],
            _ => v[i],
        };
        Normalise {
            mean: (0..channels).map(|i| pick(mean, i, 0.0)).collect(),
            mul: (0..channels)
                .map(|i| match (scale, std) {
                    (Some(s), _) => s,
                    (None, Some(std)) => 1.0 / pick(std, i, 1.0),
                    (None, None) => 1.0,
                })
                .collect(),
        }
    }

    /// The normalisation of a model's input.
    pub fn of(model: &ModelSpec) -> Self {
        Self::new(
            &model.mean,
            model.scale,
            model.std.as_deref(),
            model.colour.channels(),
        )
    }

    /// Channel `k`'s normalised value of pixel value `v`.
    #[inline]
    pub fn apply(&self, k: usize, v: f32) -> f32 {
        (v - self.mean[k]) * self.mul[k]
    }
}

/// Appends the normalised input tensor of one image (already cropped and resized to the
/// model's size) to `out`, in the model's layout and colour.
#[cfg(test)]
fn append_tensor(resized: &RgbImage, model: &ModelSpec, out: &mut Vec<f32>) {
    append_pixels(resized, model, &Normalise::of(model), out);
}

/// [`append_tensor`] with the model's normalisation computed once by the caller.
pub fn append_pixels(resized: &RgbImage, model: &ModelSpec, norm: &Normalise, out: &mut Vec<f32>) {
    let c = model.colour.channels();
    let (w, h) = (resized.width() as usize, resized.height() as usize);
    let start = out.len();
    out.resize(start + c * w * h, 0.0);
    let dst = &mut out[start..];
    for (i, p) in resized.as_raw().chunks_exact(3).enumerate() {
        for ch in 0..c {
            let v = norm.apply(ch, model.colour.value(p, ch));
            let idx = match model.layout {
                Layout::Nchw => ch * w * h + i,
                Layout::Nhwc => i * c + ch,
            };
            dst[idx] = v;
        }
    }
}

/// Appends `img` (already at the model's size) as the model's input: once, or as is and
/// mirrored for a model with `mirror`.
pub fn append_input(img: &RgbImage, model: &ModelSpec, norm: &Normalise, out: &mut Vec<f32>) {
    append_pixels(img, model, norm, out);
    if model.mirror {
        append_pixels(&image::imageops::flip_horizontal(img), model, norm, out);
    }
}

/// The input tensors of one decoded image without face detection: each model's `crop` box,
/// resized to its input size.
pub fn crop_tensors(img: &RgbImage, models: &[ModelSpec]) -> Vec<Vec<f32>> {
    models
        .iter()
        .map(|m| {
            let mut v = Vec::new();
            append_input(&crop_resize(img, m), m, &Normalise::of(m), &mut v);
            v
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mac::bundle::manifest::Colour;
    use std::path::PathBuf;

    fn spec(layout: Layout, colour: Colour) -> ModelSpec {
        ModelSpec {
            name: "m".into(),
            file: PathBuf::from("m.onnx"),
            input: "x".into(),
            output: None,
            size: [2, 2],
            layout,
            colour,
            crop: Some([0.0, 0.0, 1.0, 1.0]),
            align: None,
            mean: vec![10.0],
            scale: Some(0.5),
            std: None,
            softmax_in_graph: true,
            resize: Resize::Bilinear,
            mirror: false,
            features: None,
        }
    }

    fn image() -> RgbImage {
        RgbImage::from_fn(2, 2, |x, y| image::Rgb([(x * 10 + y * 20) as u8, 100, 200]))
    }

    #[test]
    fn crop_box_is_relative_and_clamped() {
        assert_eq!(crop_box(1000, 1000, [0.2, 0.25, 0.8, 0.85]), (200, 250, 600, 600));
        assert_eq!(crop_box(10, 10, [-0.5, 0.9, 2.0, 3.0]), (0, 9, 10, 1));
        // Ties round to even as Python's round: 0.25 * 250 = 62.5 -> 62, 0.85 * 250 -> 212.
        assert_eq!(crop_box(250, 250, [0.2, 0.25, 0.8, 0.85]), (50, 62, 150, 150));
    }

    #[test]
    fn nchw_puts_channels_first() {
        let mut out = Vec::new();
        append_tensor(&image(), &spec(Layout::Nchw, Colour::Rgb), &mut out);
        assert_eq!(out.len(), 12);
        // red plane: pixels (0,0)=0, (1,0)=10, (0,1)=20, (1,1)=30 -> (v - 10) * 0.5
        assert_eq!(&out[0..4], &[-5.0, 0.0, 5.0, 10.0]);
        assert_eq!(out[4], 45.0);
        assert_eq!(out[8], 95.0);
    }

    #[test]
    fn nhwc_gray_uses_bt601_luma() {
        let mut out = Vec::new();
        let mut m = spec(Layout::Nhwc, Colour::Gray);
        m.mean = vec![0.0];
        m.scale = None;
        m.std = Some(vec![2.0]);
        append_tensor(&image(), &m, &mut out);
        assert_eq!(out.len(), 4);
        let luma = 0.587 * 100.0 + 0.114 * 200.0;
        assert!((out[0] - luma / 2.0).abs() < 1e-4);
    }
}
