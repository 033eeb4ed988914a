"""The small trained head on top of the encoder, and its file format."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from classifiers.encoder import encoder_slug
from classifiers.errors import MissingHeadError, ModelError
from classifiers.labels import LABELS

HEADS_DIR = Path(__file__).resolve().parent / "heads"
FORMAT = "undertone-head/1"


@dataclass
class HeadInfo:
    """What a head was trained on and how well it did; stored beside the weights."""

    encoder: str
    hidden: int
    labels: tuple[str, ...] = LABELS
    temperature: float = 1.0
    supported_languages: list[str] = field(default_factory=list)
    # Subtracted from the contempt logit before choosing a label, fitted on the dev split
    # so honest criticism is rarely called contempt: the tool should miss before it nags.
    contempt_margin: float = 0.0
    # Low-rank adapter settings when the encoder was fine-tuned with adapters.
    lora: dict[str, Any] | None = None
    figures: dict[str, Any] = field(default_factory=dict)
    training: dict[str, Any] = field(default_factory=dict)

    def to_metadata(self) -> dict[str, str]:
        """Serialise for the safetensors header (string values only)."""
        return {"format": FORMAT, "info": json.dumps(asdict(self), sort_keys=True)}

    @classmethod
    def from_metadata(cls, metadata: dict[str, str]) -> HeadInfo:
        """Read back what `to_metadata` wrote."""
        if metadata.get("format") != FORMAT:
            raise ModelError(f"not an Undertone head (format {metadata.get('format')!r})")
        raw = json.loads(metadata["info"])
        raw["labels"] = tuple(raw["labels"])
        return cls(**raw)


class Head(nn.Module):
    """A one-hidden-layer classifier over pooled encoder features."""

    def __init__(self, dim: int, hidden: int, n_labels: int = len(LABELS), dropout: float = 0.1):
        super().__init__()
        self.net = nn.Sequential(
            nn.Dropout(dropout),
            nn.Linear(dim, hidden),
            nn.GELU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, n_labels),
        )

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        logits: torch.Tensor = self.net(features)
        return logits


def default_head_path(encoder_name: str) -> Path:
    """Return where the head for an encoder lives by default."""
    return HEADS_DIR / f"{encoder_slug(encoder_name)}.safetensors"


def head_path_for(source: str, name: str) -> Path:
    """Return where the head for an encoder setting lives.

    A local encoder folder carries its own head; the packaged default encoder's head ships
    with Undertone; a head trained for a Hugging Face model id goes to ./undertone-heads/.
    """
    if source and Path(source).expanduser().is_dir():
        return Path(source).expanduser().resolve() / "undertone-head.safetensors"
    packaged = default_head_path(name)
    if not source or packaged.exists():
        return packaged
    return Path.cwd() / "undertone-heads" / f"{encoder_slug(name)}.safetensors"


@dataclass
class LoadedHead:
    """A head read from disk, with any encoder adapters that came with it."""

    head: Head
    info: HeadInfo
    version: str
    adapters: dict[str, torch.Tensor]


def save_head(
    path: Path, head: Head, info: HeadInfo, adapters: dict[str, torch.Tensor] | None = None
) -> str:
    """Write head weights, adapters and info to one safetensors file; return its version."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tensors = {f"head.{name}": t for name, t in head.state_dict().items()}
    tensors.update(adapters or {})
    tensors = {name: t.detach().contiguous().cpu() for name, t in tensors.items()}
    save_file(tensors, str(path), metadata=info.to_metadata())
    return head_version(path)


def load_head(path: Path, encoder_name: str) -> LoadedHead:
    """Load a head for an encoder; raise MissingHeadError with the fix when there is none."""
    if not path.exists():
        raise MissingHeadError(
            f"no trained head for encoder {encoder_name!r} (looked for {path}); "
            "run `undertone train` to train one"
        )
    try:
        from safetensors import safe_open

        with safe_open(str(path), framework="pt") as handle:
            metadata = handle.metadata() or {}
        tensors = load_file(str(path))
    except (SafetensorError, OSError) as exc:
        raise ModelError(f"cannot read head file {path}: {exc}") from None
    info = HeadInfo.from_metadata(metadata)
    if info.encoder != encoder_name:
        raise MissingHeadError(
            f"the head at {path} was trained for encoder {info.encoder!r}, "
            f"not {encoder_name!r}; run `undertone train` to train one"
        )
    weights = {k.removeprefix("head."): v for k, v in tensors.items() if k.startswith("head.")}
    adapters = {k: v for k, v in tensors.items() if k.startswith("lora.")}
    head = Head(weights["net.1.weight"].shape[1], info.hidden, len(info.labels))
    head.load_state_dict(weights)
    head.eval()
    return LoadedHead(head, info, head_version(path), adapters)


def head_version(path: Path) -> str:
    """Return a short content hash that names this exact head."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:10]
