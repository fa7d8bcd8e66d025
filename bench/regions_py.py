"""Region statistics of an aligned face chip, as macsql computes them (src/mac/face/regions.rs), for
bench/annotate_py.py: the Python pipeline does the same work as `macsql annotate`."""
import numpy as np

REGIONS = [
    ("top", (0.15, -0.68, 0.85, -0.42)), ("hairline", (0.25, -0.40, 0.75, -0.22)),
    ("forehead", (0.30, -0.18, 0.70, -0.02)), ("temple_l", (-0.18, -0.15, 0.05, 0.25)),
    ("temple_r", (0.95, -0.15, 1.18, 0.25)), ("side_l", (-0.12, 0.30, 0.08, 0.65)),
    ("side_r", (0.92, 0.30, 1.12, 0.65)), ("outer_l", (-0.50, 0.00, -0.22, 0.70)),
    ("outer_r", (1.22, 0.00, 1.50, 0.70)), ("brows", (0.08, 0.03, 0.92, 0.15)),
    ("eye_l", (0.10, 0.14, 0.35, 0.30)), ("eye_r", (0.64, 0.14, 0.89, 0.30)),
    ("bridge", (0.40, 0.14, 0.58, 0.30)), ("under_eye", (0.12, 0.30, 0.88, 0.38)),
    ("cheek_l", (0.12, 0.42, 0.32, 0.62)), ("cheek_r", (0.67, 0.42, 0.87, 0.62)),
    ("nose", (0.42, 0.36, 0.58, 0.52)), ("upper_lip", (0.33, 0.63, 0.65, 0.73)),
    ("lips", (0.33, 0.74, 0.65, 0.86)), ("chin", (0.33, 0.90, 0.65, 1.06)),
    ("jaw_l", (0.04, 0.68, 0.28, 0.95)), ("jaw_r", (0.72, 0.68, 0.96, 0.95)),
    ("neck", (0.28, 1.15, 0.72, 1.40)),
]
SKIN = (14, 15)
WIDTH = len(REGIONS) * 21  # per region: 17 statistics, the share inside, Lab minus skin
_M = np.array([[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750],
               [0.0193339, 0.1191920, 0.9503041]])


def lab(rgb):
    c = rgb / 255.0
    c = np.where(c > 0.04045, ((c + 0.055) / 1.055) ** 2.4, c / 12.92)
    xyz = c @ _M.T / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 216 / 24389, np.cbrt(xyz), (24389 / 27 * xyz + 16) / 116)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], -1)


def inside_mask(m, w, h, iw, ih):
    """Chip pixels whose centres map inside the image (m: 2x3 chip -> image)."""
    xs, ys = np.meshgrid(np.arange(w) + 0.5, np.arange(h) + 0.5)
    u = m[0, 0] * xs + m[0, 1] * ys + m[0, 2]
    v = m[1, 0] * xs + m[1, 1] * ys + m[1, 2]
    return (u >= 0) & (u < iw) & (v >= 0) & (v < ih)


def features(chip, inside, frame):
    h, w = chip.shape[:2]
    rgb = chip.astype(np.float64)
    gray = rgb @ np.array([0.299, 0.587, 0.114])
    gx = np.zeros_like(gray); gy = np.zeros_like(gray)
    gx[:, 1:-1] = (gray[:, 2:] - gray[:, :-2]) / 2
    gy[1:-1, :] = (gray[2:, :] - gray[:-2, :]) / 2
    grad = np.hypot(gx, gy)
    mx, mn = chip.max(-1).astype(np.float64), chip.min(-1).astype(np.float64)
    sat = np.where(mx > 0, (mx - mn) / np.maximum(mx, 1), 0.0)
    l, t, r, b = frame
    px = lambda v, lo, hi, n: int(min(max(np.round((v - lo) / (hi - lo) * n), 0), n))
    per = []
    for _, (x0, y0, x1, y1) in REGIONS:
        x0, x1 = px(x0, l, r, w), px(x1, l, r, w)
        y0, y1 = px(y0, t, b, h), px(y1, t, b, h)
        v = inside[y0:y1, x0:x1]
        area = v.size
        n = int(v.sum())
        frac = n / area if area else 0.0
        s = np.full(18, np.nan); s[17] = frac
        if area and frac >= 0.25:
            p = rgb[y0:y1, x0:x1][v]; q = lab(p)
            s[0:3], s[3:6], s[6:9], s[9:12] = p.mean(0), p.std(0), q.mean(0), q.std(0)
            s[12:15] = np.quantile(q[:, 0], [0.1, 0.5, 0.9])
            s[15], s[16] = sat[y0:y1, x0:x1][v].mean(), grad[y0:y1, x0:x1][v].mean()
        per.append(s)
    known = [per[i][6:9] for i in SKIN if not np.isnan(per[i][6])]
    skin = np.mean(known, 0) if known else np.full(3, np.nan)
    return np.concatenate([np.concatenate([s, s[6:9] - skin]) for s in per]).astype(np.float32)
