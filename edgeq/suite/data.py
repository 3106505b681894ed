"""Seeded inputs for calibration and timing: photo-like images, sentence embeddings, features."""
from __future__ import annotations

import numpy as np


def images(n: int, height: int, width: int, value_range: tuple[float, float], seed: int = 0) -> np.ndarray:
    """``[n, h, w, 3]`` float32 images with smooth colour fields, hard-edged shapes and sensor
    noise (the structure convolutions respond to), scaled to ``value_range``."""
    rng = np.random.default_rng(seed)
    yy, xx = np.meshgrid(np.linspace(0, 1, height, dtype=np.float32), np.linspace(0, 1, width, dtype=np.float32),
                         indexing="ij")
    out = np.empty((n, height, width, 3), np.float32)
    for k in range(n):
        img = np.empty((height, width, 3), np.float32)
        for c in range(3):  # a low-frequency field: sum of a few random plane waves
            f = rng.uniform(0.5, 3.0, 3)
            ph = rng.uniform(0, 2 * np.pi, 3)
            img[..., c] = 0.5 + 0.25 * sum(np.sin(2 * np.pi * f[i] * (xx * np.cos(ph[i]) + yy * np.sin(ph[i])) + ph[i])
                                           for i in range(3)) / 3
        for _ in range(int(rng.integers(2, 6))):  # rectangles and discs of flat colour
            colour = rng.uniform(0, 1, 3).astype(np.float32)
            cy, cx, r = rng.uniform(0, 1), rng.uniform(0, 1), rng.uniform(0.05, 0.3)
            if rng.random() < 0.5:
                mask = (np.abs(yy - cy) < r) & (np.abs(xx - cx) < r * rng.uniform(0.5, 2))
            else:
                mask = (yy - cy) ** 2 + (xx - cx) ** 2 < r * r
            img[mask] = colour
        img += rng.normal(0, 0.02, img.shape).astype(np.float32)
        out[k] = np.clip(img, 0, 1)
    lo, hi = value_range
    return (lo + (hi - lo) * out).astype(np.float32)


def features(n: int, width: int, seed: int = 0) -> np.ndarray:
    """``[n, width]`` float32 features: Gaussian, with a few channels much larger (as real activations)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, width)).astype(np.float32)
    x[:, rng.choice(width, max(1, width // 256), replace=False)] *= 8.0
    return x


def photo_crops(n: int, height: int, width: int, value_range: tuple[float, float], seed: int = 0) -> np.ndarray:
    """``[n, h, w, 3]`` float32 crops of the two photos scikit-learn ships (``load_sample_images``: a
    Chinese temple, a flower), each a random box of 30-100% of the photo's short side with the
    target's aspect ratio, randomly mirrored, resized bilinearly and scaled to ``value_range``."""
    try:
        from sklearn.datasets import load_sample_images
    except ImportError:
        raise ImportError("photo crops need scikit-learn's sample images: pip install scikit-learn") from None
    from PIL import Image

    photos = [Image.fromarray(a) for a in load_sample_images().images]
    rng = np.random.default_rng(seed)
    out = np.empty((n, height, width, 3), np.float32)
    for k in range(n):
        im = photos[k % len(photos)]
        side = rng.uniform(0.3, 1.0) * min(im.size)
        cw = min(im.size[0], side * max(1.0, width / height))
        ch = min(im.size[1], side * max(1.0, height / width))
        x0, y0 = rng.uniform(0, im.size[0] - cw), rng.uniform(0, im.size[1] - ch)
        crop = im.crop((int(x0), int(y0), int(x0 + cw), int(y0 + ch))).resize((width, height), Image.BILINEAR)
        a = np.asarray(crop, np.float32) / 255.0
        out[k] = a[:, ::-1] if rng.random() < 0.5 else a
    lo, hi = value_range
    return (lo + (hi - lo) * out).astype(np.float32)


def person_figures(n: int, height: int, width: int, value_range: tuple[float, float], seed: int = 0) -> np.ndarray:
    """``[n, h, w, 3]`` float32 photo crops (:func:`photo_crops`, same seed) with a standing figure drawn over
    each, upright and centred as a pose-landmark model's region of interest is: a head, neck, torso, two
    arms and two legs of flat random skin / shirt / trouser colours, limbs at random angles, 80-95% of the
    height. Not a photographed person: mediapipe's pose_landmark_full reports a person on these (presence
    0.6-1.0, landmarks inside the image) where the bare crops give presence 0 and landmarks off the image."""
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(seed)
    bg = photo_crops(n, height, width, (0.0, 255.0), seed=seed)
    out = np.empty((n, height, width, 3), np.float32)
    for k in range(n):
        im = Image.fromarray(np.clip(bg[k], 0, 255).astype(np.uint8))
        d = ImageDraw.Draw(im)
        cx = width / 2 + rng.uniform(-10, 10) * width / 256
        s = height * rng.uniform(0.8, 0.95) / 8  # the head's height: a figure is about 8 heads
        top = height * 0.06
        skin = tuple(int(v) for v in rng.uniform([150, 100, 80], [240, 190, 160]))
        shirt = tuple(int(v) for v in rng.uniform(0, 255, 3))
        trousers = tuple(int(v) for v in rng.uniform(0, 160, 3))
        d.ellipse([cx - s * 0.45, top, cx + s * 0.45, top + s * 1.1], fill=skin)
        sh_y, hip_y = top + s * 1.4, top + s * 4.0
        d.polygon([(cx - s, sh_y), (cx + s, sh_y), (cx + s * 0.7, hip_y), (cx - s * 0.7, hip_y)], fill=shirt)
        d.line([(cx, top + s * 1.0), (cx, sh_y)], fill=skin, width=int(s * 0.35))
        for side in (-1, 1):
            a = rng.uniform(-0.6, 0.6)
            elbow = (cx + side * s * 1.3, sh_y + s * 1.3 + a * s)
            wrist = (elbow[0] + side * s * rng.uniform(0.1, 0.8), elbow[1] + s * 1.2 * rng.uniform(0.5, 1.0))
            d.line([(cx + side * s, sh_y + s * 0.1), elbow], fill=shirt, width=int(s * 0.4))
            d.line([elbow, wrist], fill=skin, width=int(s * 0.32))
            d.ellipse([wrist[0] - s * 0.2, wrist[1] - s * 0.2, wrist[0] + s * 0.2, wrist[1] + s * 0.2], fill=skin)
            knee = (cx + side * s * rng.uniform(0.4, 0.9), hip_y + s * 1.8)
            ankle = (knee[0] + side * s * rng.uniform(-0.2, 0.3), min(hip_y + s * 3.7, height - 2))
            d.line([(cx + side * s * 0.45, hip_y), knee], fill=trousers, width=int(s * 0.5))
            d.line([knee, ankle], fill=trousers, width=int(s * 0.42))
        out[k] = np.asarray(im, np.float32) / 255.0
    lo, hi = value_range
    return (lo + (hi - lo) * out).astype(np.float32)
