"""Calibration and evaluation data: folders of images, .npy/.npz files, or Python generators.

Everything becomes a :class:`Samples`: one float32 array per model input, stacked
on a leading sample axis, plus optional integer labels. Every check that can fail
on user data happens here, with a message that names the file and the fix.
"""
from __future__ import annotations

import importlib
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

import numpy as np

from .errors import DataError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm", ".pgm"}

#: image normalizations: name → (scale, offset) applied as pixel * scale + offset
NORMALIZATIONS = {
    "0..1": (1 / 255.0, 0.0),
    "-1..1": (1 / 127.5, -1.0),
    "0..255": (1.0, 0.0),
}


@dataclass(frozen=True)
class InputSpec:
    """What one model input expects (batch dimension included, usually 1 or -1)."""

    name: str
    shape: tuple[int, ...]
    dtype: np.dtype = np.dtype(np.float32)


@dataclass
class ImageOptions:
    """How to turn image files into tensors; ``None`` fields are inferred from the input spec."""

    size: tuple[int, int] | None = None  # (height, width)
    color: str | None = None  # "rgb" | "grayscale"
    layout: str | None = None  # "nhwc" | "nchw"
    normalize: str | None = None  # a key of NORMALIZATIONS


@dataclass
class Samples:
    """Model-ready data: ``inputs[i]`` has shape (N, *input_shape[1:])."""

    inputs: list[np.ndarray]
    labels: np.ndarray | None = None
    source: str = ""
    notes: dict[str, Any] = field(default_factory=dict)  # how the data was read, for the report

    def __len__(self) -> int:
        return int(self.inputs[0].shape[0]) if self.inputs else 0

    def batch(self, i: int) -> list[np.ndarray]:
        """Sample ``i`` as a list of batch-1 arrays, one per input."""
        return [x[i:i + 1] for x in self.inputs]

    def __iter__(self) -> Iterator[list[np.ndarray]]:
        return (self.batch(i) for i in range(len(self)))

    def subset(self, n: int) -> "Samples":
        return Samples([x[:n] for x in self.inputs], None if self.labels is None else self.labels[:n],
                       self.source, dict(self.notes))


def load_samples(spec: str | os.PathLike, inputs: Sequence[InputSpec], *,
                 image: ImageOptions | None = None, max_samples: int | None = None,
                 role: str = "calibration") -> Samples:
    """Load data for a model whose inputs are ``inputs``.

    ``spec``: a folder of images (optionally one sub-folder per class, giving labels),
    a ``.npy`` file, a ``.npz`` file (one array per input by name, optional ``labels``),
    or ``module:function`` returning an iterable of samples.
    """
    text = str(spec)
    path = Path(text)
    if path.is_dir():
        s = _load_image_folder(path, inputs, image or ImageOptions(), max_samples, role)
    elif path.suffix == ".npy" and path.exists():
        s = _load_npy(path, inputs, role)
    elif path.suffix == ".npz" and path.exists():
        s = _load_npz(path, inputs, role)
    elif ":" in text and not path.exists() and _looks_like_callable(text):
        s = _load_callable(text, inputs, role, max_samples)
    elif not path.exists():
        raise DataError(f"{role} data '{text}' does not exist: give a folder of images, a .npy/.npz file, "
                        "or module:function")
    else:
        raise DataError(f"{role} data '{text}' is not a folder, .npy, .npz or module:function: "
                        "convert it to one of those")
    if max_samples is not None and len(s) > max_samples:
        s = s.subset(max_samples)
    _validate(s, inputs, role)
    return s


def _first_line(e: BaseException) -> str:
    s = str(e).strip()
    return s.splitlines()[0] if s else type(e).__name__


def _looks_like_callable(text: str) -> bool:
    mod, _, fn = text.rpartition(":")
    return bool(mod) and bool(fn) and fn.isidentifier() and all(p.isidentifier() for p in mod.split("."))


# ---------------------------------------------------------------- arrays

def _load_npy(path: Path, inputs: Sequence[InputSpec], role: str) -> Samples:
    if len(inputs) != 1:
        names = ", ".join(i.name for i in inputs)
        raise DataError(f"{role} data {path.name} is one array but the model has {len(inputs)} inputs ({names}): "
                        "use a .npz with one array per input name")
    arr = _read_array(lambda: np.load(path, allow_pickle=False), path, role)
    return Samples([_as_batch(arr, inputs[0], f"{path.name}", role)], None, str(path), {"format": "npy"})


def _read_array(reader, path: Path, role: str):
    try:
        return reader()
    except (ValueError, OSError, EOFError) as e:
        raise DataError(f"{role} data {path.name} cannot be read ({str(e).splitlines()[0] if str(e) else type(e).__name__}): "
                        "save it with numpy.save / numpy.savez") from None


def _load_npz(path: Path, inputs: Sequence[InputSpec], role: str) -> Samples:
    with _read_array(lambda: np.load(path, allow_pickle=False), path, role) as z:
        arrays = {k: _read_array(lambda k=k: z[k], path, role) for k in z.files}
    labels = arrays.pop("labels", None)
    if labels is None:
        labels = arrays.pop("y", None) if len(arrays) > len(inputs) else None
    notes = {"format": "npz"}
    if len(inputs) == 1 and len(arrays) == 1:
        (key, arr), = arrays.items()
        data = [_as_batch(arr, inputs[0], f"{path.name}[{key}]", role)]
        if key != inputs[0].name:  # used, but said: the report names which array fed which input
            notes["array"] = f"'{key}' fed input '{inputs[0].name}' (the only array; name it so to be sure)"
    else:
        data = []
        for spec in inputs:
            if spec.name not in arrays:
                have = ", ".join(sorted(arrays)) or "none"
                raise DataError(f"{role} data {path.name} has no array named '{spec.name}' (it has: {have}): "
                                f"save one array per model input, named {', '.join(i.name for i in inputs)}")
            data.append(_as_batch(arrays[spec.name], spec, f"{path.name}[{spec.name}]", role))
    if labels is not None:
        labels = np.asarray(labels)
    return Samples(data, labels, str(path), notes)


def _as_batch(arr: np.ndarray, spec: InputSpec, what: str, role: str) -> np.ndarray:
    """Check one array against an input spec and return it as float32 (N, ...)."""
    arr = np.asarray(arr)
    if arr.dtype.kind not in "biuf":
        raise DataError(f"{role} data {what} has dtype {arr.dtype}, not numbers: save numeric arrays")
    want = tuple(spec.shape[1:])
    if tuple(arr.shape) == want:  # a single sample without the batch axis
        arr = arr[None]
    if arr.ndim != len(want) + 1 or not _shape_fits(arr.shape[1:], want):
        raise DataError(f"{role} data {what} has shape {tuple(arr.shape)}, model input '{spec.name}' needs "
                        f"(N, {', '.join(str(d) if d > 0 else '?' for d in want)}): reshape the data or pass the right file")
    return arr.astype(np.float32, copy=False)


def _shape_fits(got: Sequence[int], want: Sequence[int]) -> bool:
    return all(w <= 0 or g == w for g, w in zip(got, want))


# ---------------------------------------------------------------- generators

#: without --max-samples, a generator may yield at most this many samples (an endless one would never stop)
GENERATOR_LIMIT = 100_000


def _load_callable(text: str, inputs: Sequence[InputSpec], role: str, max_samples: int | None = None) -> Samples:
    mod_name, _, fn_name = text.rpartition(":")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        mod = importlib.import_module(mod_name)
    except ImportError as e:
        raise DataError(f"{role} data: cannot import module '{mod_name}' ({e}): run from the folder that holds it "
                        "or add it to PYTHONPATH") from None
    except SyntaxError as e:
        raise DataError(f"{role} data: module '{mod_name}' has a syntax error ({e.msg}, {e.filename} line "
                        f"{e.lineno}): fix it") from None
    except SystemExit as e:
        raise DataError(f"{role} data: importing module '{mod_name}' called sys.exit({e.code}): "
                        "keep top-level code out of the module, or guard it with if __name__ == '__main__'") from None
    except Exception as e:  # noqa: BLE001 - the user's module failed while importing; say so
        raise DataError(f"{role} data: importing module '{mod_name}' raised {type(e).__name__}: "
                        f"{_first_line(e)}") from None
    fn = getattr(mod, fn_name, None)
    if not callable(fn):
        raise DataError(f"{role} data: '{mod_name}' has no function '{fn_name}': check the name after the colon")
    limit = max_samples if max_samples is not None else GENERATOR_LIMIT
    rows = []
    try:
        for s in fn():
            if len(rows) == limit:
                if max_samples is not None:
                    break
                raise DataError(f"{role} data function {text} yielded more than {GENERATOR_LIMIT} samples: "
                                "pass --max-samples N (or make it stop)")
            rows.append(_sample_to_list(s, inputs, text, role))
    except DataError:
        raise
    except SystemExit as e:
        raise DataError(f"{role} data function {text} called sys.exit({e.code}) after {len(rows)} sample(s): "
                        "return or stop yielding instead") from None
    except Exception as e:  # noqa: BLE001 - the user's code failed; say where
        raise DataError(f"{role} data function {text} raised {type(e).__name__}: {_first_line(e)}") from None
    if not rows:
        raise DataError(f"{role} data function {text} yielded no samples: make it yield at least one")
    labels = [r[1] for r in rows]
    data = []
    for i, spec in enumerate(inputs):
        parts = [_as_batch(r[0][i], spec, f"{text} input '{spec.name}'", role) for r in rows]
        data.append(np.concatenate(parts, axis=0))
    lab = np.asarray(labels) if all(lb is not None for lb in labels) else None
    return Samples(data, lab, text, {"format": "python"})


def _sample_to_list(sample: Any, inputs: Sequence[InputSpec], text: str, role: str):
    label = None
    if isinstance(sample, dict):
        sample = dict(sample)
        label = sample.pop("labels", sample.pop("label", None))
        missing = [s.name for s in inputs if s.name not in sample]
        if missing and len(inputs) == 1 and len(sample) == 1:
            return [next(iter(sample.values()))], label
        if missing:
            raise DataError(f"{role} data function {text} yielded a dict without input(s) {', '.join(missing)}: "
                            "use the model's input names as keys")
        return [sample[s.name] for s in inputs], label
    if isinstance(sample, (list, tuple)):
        if len(sample) != len(inputs):
            raise DataError(f"{role} data function {text} yielded {len(sample)} arrays for {len(inputs)} inputs: "
                            "yield one array per input (or a dict by input name)")
        return list(sample), label
    if len(inputs) != 1:
        raise DataError(f"{role} data function {text} yielded a single array for a model with {len(inputs)} inputs: "
                        "yield a list or dict of arrays")
    return [sample], label


# ---------------------------------------------------------------- images

#: the decoded images of one data set, as float32, may take at most this much memory
IMAGE_BYTES_LIMIT = 4 << 30
#: the largest image side --image-size or a model may ask for
IMAGE_SIDE_LIMIT = 8192

def _image_layout(spec: InputSpec, opts: ImageOptions) -> tuple[str, int, int, int]:
    shape = spec.shape
    if len(shape) != 4:
        raise DataError(f"model input '{spec.name}' has shape {shape}, not an image (N, H, W, C): "
                        "give a .npy/.npz file instead of an image folder")
    layout = opts.layout
    if layout is None:
        layout = "nchw" if shape[1] in (1, 3) and shape[3] not in (1, 3) else "nhwc"
    h, w, c = (shape[2], shape[3], shape[1]) if layout == "nchw" else (shape[1], shape[2], shape[3])
    if opts.size:
        if h > 0 and w > 0 and tuple(opts.size) != (h, w):  # it is for models without a fixed size
            raise DataError(f"--image-size {opts.size[0]}x{opts.size[1]} does not match model input '{spec.name}', "
                            f"which takes {h}x{w} images {tuple(shape)}: leave --image-size out (the size comes "
                            f"from the model) or give {h}x{w}")
        h, w = opts.size
    if h <= 0 or w <= 0:
        raise DataError(f"model input '{spec.name}' has no fixed image size {shape}: pass --image-size HxW")
    if h > IMAGE_SIDE_LIMIT or w > IMAGE_SIDE_LIMIT:
        raise DataError(f"image size {h}x{w} is over {IMAGE_SIDE_LIMIT} pixels a side: pass a smaller --image-size")
    return layout, h, w, c


def _list_images(folder: Path) -> tuple[list[Path], list[int] | None, list[str]]:
    subdirs = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    direct = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    if subdirs and not direct:  # one folder per class, as ImageFolder does
        files, labels = [], []
        for ci, d in enumerate(subdirs):
            imgs = sorted(p for p in d.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
            files += imgs
            labels += [ci] * len(imgs)
        return files, labels, [d.name for d in subdirs]
    return direct, None, []


def _load_image_folder(folder: Path, inputs: Sequence[InputSpec], opts: ImageOptions,
                       max_samples: int | None, role: str) -> Samples:
    from PIL import Image, UnidentifiedImageError

    if len(inputs) != 1:
        raise DataError(f"{role} data {folder} is an image folder but the model has {len(inputs)} inputs: "
                        "use a .npz with one array per input")
    spec = inputs[0]
    layout, h, w, c = _image_layout(spec, opts)
    color = opts.color or ("grayscale" if c == 1 else "rgb")
    if (color == "grayscale") != (c == 1):
        raise DataError(f"--color {color} gives {1 if color == 'grayscale' else 3} channels but input "
                        f"'{spec.name}' has {c}: drop --color or pick the other mode")
    norm = opts.normalize or "0..1"
    if norm not in NORMALIZATIONS:
        raise DataError(f"unknown normalization '{norm}': choose one of {', '.join(NORMALIZATIONS)}")
    files, labels, classes = _list_images(folder)
    if not files:
        raise DataError(f"{role} data folder {folder} holds no images ({', '.join(sorted(IMAGE_SUFFIXES))}): "
                        "point at a folder of image files or of class sub-folders")
    if max_samples is not None and len(files) > max_samples:
        if labels is None:
            files = files[:max_samples]
        else:
            files, labels = _spread(files, labels, max_samples)
    need = len(files) * h * w * c * 4
    if need > IMAGE_BYTES_LIMIT:
        raise DataError(f"{role} data: {len(files)} images of {h}x{w}x{c} need {need / 2**30:.1f} GiB as float32, over "
                        f"{IMAGE_BYTES_LIMIT / 2**30:.0f} GiB: pass fewer samples (--max-samples) or a smaller --image-size")
    scale, offset = NORMALIZATIONS[norm]
    arrs = []
    for f in files:
        try:
            with Image.open(f) as im:
                im = im.convert("L" if color == "grayscale" else "RGB").resize((w, h), Image.BILINEAR)
                a = np.asarray(im, dtype=np.float32)
        except Image.DecompressionBombError:
            raise DataError(f"image {f} declares more pixels than Pillow will decode (a decompression bomb?): "
                            "remove it or shrink it") from None
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as e:  # PIL raises SyntaxError on bad headers
            raise DataError(f"image {f} cannot be read ({type(e).__name__}): remove or replace the file") from None
        if a.ndim == 2:
            a = a[..., None]
        arrs.append(a * scale + offset)
    x = np.stack(arrs)
    if layout == "nchw":
        x = x.transpose(0, 3, 1, 2)
    notes = {"format": "images", "count": len(files), "resize": f"{h}x{w}", "color": color, "layout": layout,
             "normalize": norm, "inferred": [k for k in ("size", "color", "layout") if getattr(opts, k) is None]}
    if opts.normalize is None:  # nothing said how pixels map to values: edgeq's default, and the report says so
        notes["defaulted"] = ["normalize"]
    if classes:
        notes["classes"] = classes
    return Samples([x.astype(np.float32)], None if labels is None else np.asarray(labels), str(folder), notes)


def _spread(files: list[Path], labels: list[int], n: int):
    """Take up to n files round-robin over classes, so a cap keeps every class."""
    by_class: dict[int, list[Path]] = {}
    for f, lb in zip(files, labels):
        by_class.setdefault(lb, []).append(f)
    out_f, out_l = [], []
    i = 0
    while len(out_f) < n and any(i < len(v) for v in by_class.values()):
        for lb in sorted(by_class):
            if i < len(by_class[lb]) and len(out_f) < n:
                out_f.append(by_class[lb][i])
                out_l.append(lb)
        i += 1
    return out_f, out_l


# ---------------------------------------------------------------- checks

def _validate(s: Samples, inputs: Sequence[InputSpec], role: str) -> None:
    if len(s) == 0:
        raise DataError(f"{role} data '{s.source}' holds no samples: give at least one (100-500 is typical)")
    for spec, x in zip(inputs, s.inputs):
        if x.shape[0] != len(s):
            raise DataError(f"{role} data '{s.source}': input '{spec.name}' has {x.shape[0]} samples but "
                            f"'{inputs[0].name}' has {len(s)}: give every input the same count")
        bad = ~np.isfinite(x)
        if bad.any():
            rows = np.unique(np.nonzero(bad.reshape(bad.shape[0], -1))[0])
            first = ", ".join(str(r) for r in rows[:5])
            raise DataError(f"{role} data '{s.source}' has NaN or Inf in input '{spec.name}' "
                            f"({len(rows)} sample(s), first at index {first}): clean or drop those samples")
    if s.labels is not None:
        if s.labels.shape[0] != len(s):
            raise DataError(f"{role} data '{s.source}' has {s.labels.shape[0]} labels for {len(s)} samples: "
                            "give one label per sample")
        if s.labels.ndim > 1:  # one-hot labels
            s.labels = s.labels.reshape(len(s), -1).argmax(axis=1)
        s.labels = s.labels.astype(np.int64)
