"""Quantization-aware training for Keras 3 models (``edgeq finetune``)."""
from .finetune import FinetuneResult, finetune
from .record import QatRecord, read_record

__all__ = ["finetune", "FinetuneResult", "QatRecord", "read_record"]
