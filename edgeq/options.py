"""Every choice of a conversion, in one place: :class:`ConvertOptions`.

``edgeq convert`` builds it from its flags, ``--recipe`` loads it from an earlier
conversion's manifest, the manifest stores it (:meth:`ConvertOptions.recipe`),
:func:`edgeq.convert` takes it and every stage reads its choices from it. The
field names are the Python keyword arguments, the recipe keys and (with ``-``) the
command-line flags.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Mapping

from .datasets import ImageOptions
from .errors import DataError
from .int4.transform import ROUNDINGS
from .quantize.calibration.methods import METHODS
from .quantize.tf_bridge import IO_TYPES

#: "auto": each of AUTO_METHODS on most calibration samples, the one whose model is closest to float on the rest,
#: unless it does not beat TensorFlow's recipe (minmax, no equalization) there by a sign test: then that recipe
CALIBRATION_METHODS = ("auto", *METHODS)
#: float: dynamic-range quantization (integer weights, float activations; not fully integer)
ACTIVATION_TYPES = ("int8", "int16", "float")
WEIGHT_TYPES = ("int8", "int4", "mixed")
INT4_ROUNDINGS = ROUNDINGS
#: ``--io`` choices: the int8 path's I/O types, and int16 for 16x8 models
IO_CHOICES = ("int8", "uint8", "int16", "float")


@dataclass(frozen=True)
class ConvertOptions:
    """How to convert: precision, calibration, graph changes, budget, data reading.

    Sequences are stored as sorted tuples (their order means nothing), so equal
    choices compare and record equal.
    """

    io: str = "int8"  # type of the model's inputs and outputs
    activations: str = "int8"  # int16: TFLite's 16x8 mode for the whole model; float: dynamic range
    per_tensor: bool = False  # one weight scale per tensor instead of per output channel
    allow_float: tuple[str, ...] = ()  # op types or layer names that may stay float; "budget": see max_accuracy_drop
    calibration: str = "auto"  # activation range method: a key of METHODS, or auto (the best of AUTO_METHODS)
    percentile: float = 99.99  # for calibration="percentile"
    equalize: bool = True  # cross-layer equalization of conv pairs
    bias_correction: bool = False
    weight_clipping: bool = False  # MSE-optimal per-channel weight clipping
    max_accuracy_drop: float | None = None  # points against float on the eval data: the budget ladder
    min_sqnr_db: float | None = None  # fidelity floor of every non-class output (dB): also drives the ladder
    weights: str = "int8"  # int4: packed int4 weights where runtimes run them; mixed: int4/int8 per layer
    int4_layers: tuple[str, ...] | None = None  # only these layers int4 (None: every eligible one)
    int4_rounding: str = "gptq"
    max_samples: int | None = 500  # calibration samples used at most
    image: ImageOptions = field(default_factory=ImageOptions)  # how image folders become tensors

    def __post_init__(self) -> None:
        allow = (self.allow_float,) if isinstance(self.allow_float, str) else self.allow_float
        object.__setattr__(self, "allow_float", tuple(sorted({a.strip() for a in allow if a.strip()})))
        layers = (self.int4_layers,) if isinstance(self.int4_layers, str) else self.int4_layers
        object.__setattr__(self, "int4_layers", tuple(sorted(set(layers))) if layers else None)
        if self.image is None:
            object.__setattr__(self, "image", ImageOptions())

    def replace(self, **changes: Any) -> "ConvertOptions":
        """A copy with ``changes`` (field names); an unknown name raises TypeError naming the known ones."""
        unknown = sorted(set(changes) - set(OPTION_NAMES))
        if unknown:
            raise TypeError(f"unknown conversion option(s) {', '.join(unknown)}: use {', '.join(OPTION_NAMES)}")
        return replace(self, **changes)

    def resolved(self) -> "ConvertOptions":
        """Check every choice and fill in those that follow from others; raises DataError naming the fix."""
        if self.max_samples is not None and (isinstance(self.max_samples, bool) or not isinstance(self.max_samples, int)
                                             or self.max_samples < 1):
            raise DataError(f"--max-samples {self.max_samples} is not a positive count: give 1 or more")
        if self.activations not in ACTIVATION_TYPES:
            raise DataError(f"--activations {self.activations} is not supported: choose int8, int16 or float")
        if self.activations == "float":
            return self._dynamic_range()
        io = "int16" if self.activations == "int16" and self.io == "int8" else self.io  # 16x8 models take int16 I/O
        if io not in IO_TYPES + ("int16",) or (io == "int16" and self.activations != "int16"):
            raise DataError(f"--io {io} is not supported here: choose one of {', '.join(IO_TYPES)} "
                            "(int16 with --activations int16)")
        if self.calibration not in CALIBRATION_METHODS:
            raise DataError(f"unknown calibration '{self.calibration}': choose one of {', '.join(CALIBRATION_METHODS)}")
        if self.weights not in WEIGHT_TYPES:
            raise DataError(f"--weights {self.weights} is not supported: choose int8, int4 or mixed")
        weights = "int4" if self.int4_layers and self.weights == "int8" else self.weights  # naming int4 layers asks for int4
        if weights != "int8" and self.activations != "int8":
            raise DataError("int4 weights go with int8 activations in TFLite's kernels: drop --activations int16")
        return replace(self, io=io, weights=weights)

    def _dynamic_range(self) -> "ConvertOptions":
        """Float activations: float I/O, int8 or int4 weights, nothing that needs integer activations."""
        if self.io not in ("int8", "float"):
            raise DataError(f"--io {self.io} does not go with --activations float (float inputs and outputs): "
                            "drop --io or use --activations int8")
        weights = "int4" if self.int4_layers and self.weights == "int8" else self.weights
        clash = [flag for flag, on in (("--weights mixed", weights == "mixed"), ("--per-tensor", self.per_tensor),
                                       ("--int4-layers", bool(self.int4_layers)),
                                       ("--max-accuracy-drop", self.max_accuracy_drop is not None),
                                       ("--min-sqnr", self.min_sqnr_db is not None),
                                       ("--bias-correction", self.bias_correction)) if on]
        if clash:
            raise DataError(f"{', '.join(clash)} needs integer activations: drop it or use --activations int8")
        return replace(self, io="float", weights=weights)

    def recipe(self) -> dict[str, Any]:
        """The JSON form the manifest stores and :meth:`from_recipe` reads back."""
        out = {name: getattr(self, name) for name in OPTION_NAMES}
        out["allow_float"] = list(self.allow_float)
        out["int4_layers"] = list(self.int4_layers) if self.int4_layers else None
        out["image"] = asdict(self.image)
        return out

    @classmethod
    def from_recipe(cls, recipe: Mapping[str, Any]) -> "ConvertOptions":
        """Options from a manifest's recipe; missing keys keep their defaults, unknown keys raise TypeError."""
        values = dict(recipe)
        unknown = sorted(set(values) - set(OPTION_NAMES))
        if unknown:
            raise TypeError(f"unknown conversion option(s) {', '.join(unknown)}: use {', '.join(OPTION_NAMES)}")
        image = values.pop("image", None)
        if image:
            values["image"] = ImageOptions(tuple(image["size"]) if image.get("size") else None, image.get("color"),
                                           image.get("layout"), image.get("normalize"))
        if "per_tensor" in values:
            values["per_tensor"] = bool(values["per_tensor"])
        if values.get("allow_float") is None:
            values.pop("allow_float", None)
        return cls(**values)


#: the option names, in the order ``--help`` and error messages list them
OPTION_NAMES = tuple(f.name for f in fields(ConvertOptions))
