//! Letterboxing an image into the detector's fixed input: an optional black margin around the
//! image, a downscale (never an upscale) so that it fits, placement at the top-left corner,
//! and padding with the normalisation's zero, so that images of any size batch together.
//! Detections are mapped back to source pixels with [`Letterbox::to_source`].

use image::RgbImage;

use crate::mac::bundle::manifest::{Colour, Layout};
use crate::mac::input::preprocess::Normalise;

/// Where the image went in the detector input.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Letterbox {
    /// Input pixels per source pixel, horizontally and vertically.
    pub scale: (f32, f32),
    /// Top-left corner of the source image's pixel (0, 0) in input pixels.
    pub offset: (f32, f32),
}

impl Default for Letterbox {
    /// The identity placement.
    fn default() -> Self {
        Letterbox {
            scale: (1.0, 1.0),
            offset: (0.0, 0.0),
        }
    }
}

impl Letterbox {
    /// A point in detector-input pixels, in source pixels.
    pub fn to_source(self, [x, y]: [f32; 2]) -> [f32; 2] {
        [
            (x - self.offset.0) / self.scale.0,
            (y - self.offset.1) / self.scale.1,
        ]
    }
}

/// The size an image of `w` x `h` takes in a `cw` x `ch` input with a black `margin` (a
/// fraction of the image's size on each side): shrunk to fit, never enlarged, aspect kept.
pub fn fit(w: u32, h: u32, (cw, ch): (u32, u32), margin: f32) -> (u32, u32, f32) {
    let grow = 1.0 + 2.0 * margin.max(0.0);
    let s = (cw as f32 / (w as f32 * grow))
        .min(ch as f32 / (h as f32 * grow))
        .min(1.0);
    let nw = ((w as f32 * s).round() as u32).clamp(1, cw);
    let nh = ((h as f32 * s).round() as u32).clamp(1, ch);
    (nw, nh, s)
}

/// Writes the detector input of `img` into `out` (`cw` x `ch` x 3 values, `layout` and `colour`
/// of the detector, normalised by `norm`) and returns where the image went.
pub fn letterbox(
    img: &RgbImage,
    (cw, ch): (u32, u32),
    margin: f32,
    layout: Layout,
    colour: Colour,
    norm: &Normalise,
    dst: &mut [f32],
) -> Letterbox {
    let (w, h) = img.dimensions();
    let (nw, nh, _) = fit(w, h, (cw, ch), margin);
    let (ox, oy) = (
        ((w as f32 * margin.max(0.0)) * nw as f32 / w as f32).round() as u32,
        ((h as f32 * margin.max(0.0)) * nh as f32 / h as f32).round() as u32,
    );
    let (ox, oy) = (ox.min(cw - nw), oy.min(ch - nh));
    let resized;
    let pixels: &[u8] = if (nw, nh) == (w, h) {
        img.as_raw()
    } else {
        resized = crate::mac::input::resample::resize_rgb(
            img.as_raw(),
            w as usize,
            (0, 0, w as usize, h as usize),
            nw as usize,
            nh as usize,
        );
        &resized
    };
    let c = colour.channels();
    let plane = (cw * ch) as usize;
    assert_eq!(
        dst.len(),
        c * plane,
        "letterbox: the slot holds one detector input"
    );
    // The margin and the rest of the input: black pixels.
    let black: Vec<f32> = (0..c).map(|k| norm.apply(k, 0.0)).collect();
    match layout {
        Layout::Nchw => {
            for (k, b) in black.iter().enumerate() {
                dst[k * plane..(k + 1) * plane].fill(*b);
            }
        }
        Layout::Nhwc => {
            for px in dst.chunks_exact_mut(c) {
                px.copy_from_slice(&black);
            }
        }
    }
    let (nw, cw) = (nw as usize, cw as usize);
    for y in 0..nh as usize {
        let row = &pixels[y * nw * 3..(y + 1) * nw * 3];
        let at = (oy as usize + y) * cw + ox as usize;
        match layout {
            // One plane row at a time: a tight loop per channel.
            Layout::Nchw => {
                for k in 0..c {
                    let line = &mut dst[k * plane + at..k * plane + at + nw];
                    for (d, p) in line.iter_mut().zip(row.chunks_exact(3)) {
                        *d = norm.apply(k, colour.value(p, k));
                    }
                }
            }
            Layout::Nhwc => {
                let line = &mut dst[at * c..(at + nw) * c];
                for (d, p) in line.chunks_exact_mut(c).zip(row.chunks_exact(3)) {
                    for (k, v) in d.iter_mut().enumerate() {
                        *v = norm.apply(k, colour.value(p, k));
                    }
                }
            }
        }
    }
    Letterbox {
        scale: (nw as f32 / w as f32, nh as f32 / h as f32),
        offset: (ox as f32, oy as f32),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm() -> Normalise {
        Normalise::new(&[10.0], Some(1.0), None, 3)
    }

    #[test]
    fn small_images_are_placed_unscaled_and_padded_with_black() {
        let img = RgbImage::from_fn(2, 1, |x, _| image::Rgb([x as u8 * 100 + 20, 50, 60]));
        let mut out = vec![0.0; 18];
        let lb = letterbox(&img, (3, 2), 0.0, Layout::Nchw, Colour::Bgr, &norm(), &mut out);
        assert_eq!(
            lb,
            Letterbox {
                scale: (1.0, 1.0),
                offset: (0.0, 0.0)
            }
        );
        assert_eq!(out.len(), 18);
        // Blue plane first (BGR): pixels 60, 60, then black (0 - 10).
        assert_eq!(&out[0..6], &[50.0, 50.0, -10.0, -10.0, -10.0, -10.0]);
        // Red plane: 20, 120.
        assert_eq!(&out[12..14], &[10.0, 110.0]);
        assert_eq!(lb.to_source([1.5, 0.5]), [1.5, 0.5]);
    }

    #[test]
    fn large_images_shrink_to_fit_and_map_back() {
        let img = RgbImage::from_pixel(400, 200, image::Rgb([200, 100, 0]));
        let mut out = vec![0.0; 3 * 100 * 100];
        let lb = letterbox(
            &img,
            (100, 100),
            0.0,
            Layout::Nhwc,
            Colour::Rgb,
            &norm(),
            &mut out,
        );
        assert_eq!(lb.scale, (0.25, 0.25));
        assert_eq!(out[0..3], [190.0, 90.0, -10.0]);
        // Row 50 is below the 50-row image: black.
        assert_eq!(out[50 * 100 * 3], -10.0);
        assert_eq!(lb.to_source([50.0, 25.0]), [200.0, 100.0]);
    }

    #[test]
    fn a_margin_leaves_a_black_border() {
        assert_eq!(fit(100, 100, (128, 128), 0.5), (64, 64, 0.64));
        let img = RgbImage::from_pixel(100, 100, image::Rgb([255, 255, 255]));
        let mut out = vec![0.0; 3 * 128 * 128];
        let lb = letterbox(
            &img,
            (128, 128),
            0.5,
            Layout::Nchw,
            Colour::Rgb,
            &norm(),
            &mut out,
        );
        assert_eq!(lb.offset, (32.0, 32.0));
        assert_eq!(out[0], -10.0);
        assert_eq!(out[32 * 128 + 32], 245.0);
        assert_eq!(lb.to_source([32.0, 96.0]), [0.0, 100.0]);
    }
}
