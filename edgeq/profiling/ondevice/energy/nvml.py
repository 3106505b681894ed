"""NVIDIA GPUs: NVML's total-energy counter (``nvmlDeviceGetTotalEnergyConsumption``, mJ since the driver loaded).

Needs only ``nvidia-ml-py`` (``import pynvml``) and the driver's ``libnvidia-ml.so.1``; no CUDA, no
TensorFlow. The counter exists on Volta and newer and covers the GPU board, not the host CPU; NVML
refreshes it about every 20–100 ms, so windows last a second or more.
"""
from __future__ import annotations

from .base import EnergyReader, NoMeter


class NvmlReader(EnergyReader):
    name = "nvml"
    kind = "counter"
    min_window_s = 1.0

    @classmethod
    def from_options(cls, root: str, options: dict) -> NvmlReader:
        return cls(int(options.get("gpu", 0)))

    def __init__(self, gpu: int = 0):
        try:
            import pynvml
        except ImportError:
            raise NoMeter("nvidia-ml-py is not installed: pip install nvidia-ml-py") from None
        self._nvml = pynvml
        try:
            pynvml.nvmlInit()
        except pynvml.NVMLError as e:
            raise NoMeter(f"NVML unavailable ({e}): no NVIDIA driver on this device") from None
        try:
            count = pynvml.nvmlDeviceGetCount()
            if not 0 <= gpu < count:
                raise NoMeter(f"NVML GPU index {gpu} out of range: this device has {count} GPU(s)")
            self.handle = pynvml.nvmlDeviceGetHandleByIndex(gpu)
            name = pynvml.nvmlDeviceGetName(self.handle)
            self.gpu_name = name.decode() if isinstance(name, bytes) else str(name)
            self.gpu = gpu
            self.read()
        except pynvml.NVMLError as e:
            pynvml.nvmlShutdown()
            raise NoMeter(f"NVML GPU {gpu} has no total-energy counter ({e}): it needs a Volta or newer GPU") from None
        except NoMeter:
            pynvml.nvmlShutdown()
            raise

    def read(self) -> int:
        """Cumulative µJ (NVML counts whole mJ)."""
        return int(self._nvml.nvmlDeviceGetTotalEnergyConsumption(self.handle)) * 1000

    def close(self) -> None:
        self._nvml.nvmlShutdown()

    def describe(self) -> dict:
        return {"meter": self.name, "kind": self.kind, "gpu": self.gpu, "gpu_name": self.gpu_name,
                "note": "GPU board energy from NVML (not the host CPU), 1 mJ resolution"}
