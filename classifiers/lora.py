"""Low-rank adapters: fine-tune the encoder by training a few small matrices.

Training adds `B @ A` (rank r) beside chosen linear layers; the base weights stay frozen.
The adapters are a few hundred kilobytes, so they ship inside the head file, and at load
time they are merged into the weights (`W += scale * B @ A`), so inference costs nothing
extra and int8 quantization sees the tuned weights.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

# The linear layers of a BERT-style block that get adapters, by attribute path.
TARGETS = (
    "attention.self.query",
    "attention.self.key",
    "attention.self.value",
    "attention.output.dense",
    "intermediate.dense",
    "output.dense",
)


@dataclass(frozen=True)
class LoraConfig:
    """Where adapters go and how big they are."""

    rank: int = 8
    alpha: float = 16.0
    # Adapters go on this layer and above; lower layers stay as pretrained (and cheaper
    # to train through, since no gradient has to reach them).
    first_layer: int = 0

    @property
    def scale(self) -> float:
        return self.alpha / self.rank


class LoraLinear(nn.Module):
    """A frozen linear layer plus a trainable low-rank update."""

    def __init__(self, base: nn.Linear, config: LoraConfig) -> None:
        super().__init__()
        self.base = base
        self.scale = config.scale
        self.lora_a = nn.Parameter(
            torch.randn(config.rank, base.in_features) / math.sqrt(base.in_features)
        )
        self.lora_b = nn.Parameter(torch.zeros(base.out_features, config.rank))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        update: torch.Tensor = (x @ self.lora_a.t()) @ self.lora_b.t()
        return self.base(x) + update * self.scale  # type: ignore[no-any-return]


def _layers(model: nn.Module) -> nn.ModuleList:
    encoder = getattr(model, "encoder", None)
    layers = getattr(encoder, "layer", None)
    if not isinstance(layers, nn.ModuleList):
        raise ValueError("low-rank adapters need a BERT-style encoder (model.encoder.layer)")
    return layers


def _resolve(layer: nn.Module, path: str) -> tuple[nn.Module, str]:
    *parents, name = path.split(".")
    owner = layer
    for part in parents:
        owner = getattr(owner, part)
    return owner, name


def add_adapters(model: nn.Module, config: LoraConfig) -> list[nn.Parameter]:
    """Freeze the model, add adapters, and return the trainable parameters."""
    for parameter in model.parameters():
        parameter.requires_grad = False
    trainable: list[nn.Parameter] = []
    for index, layer in enumerate(_layers(model)):
        if index < config.first_layer:
            continue
        for path in TARGETS:
            owner, name = _resolve(layer, path)
            base = getattr(owner, name)
            if isinstance(base, nn.Linear):
                adapter = LoraLinear(base, config)
                setattr(owner, name, adapter)
                trainable += [adapter.lora_a, adapter.lora_b]
    return trainable


def adapter_state(model: nn.Module) -> dict[str, torch.Tensor]:
    """Return the adapter matrices by a stable name: `lora.<layer>.<target>.a|b`."""
    state = {}
    for index, layer in enumerate(_layers(model)):
        for path in TARGETS:
            owner, name = _resolve(layer, path)
            module = getattr(owner, name)
            if isinstance(module, LoraLinear):
                state[f"lora.{index}.{path}.a"] = module.lora_a.detach().clone()
                state[f"lora.{index}.{path}.b"] = module.lora_b.detach().clone()
    return state


def merge_adapters(model: nn.Module, state: dict[str, torch.Tensor], scale: float) -> int:
    """Fold adapter matrices into the model's weights; return how many layers changed."""
    merged = 0
    layers = _layers(model)
    with torch.no_grad():
        for key, a in state.items():
            if not key.endswith(".a"):
                continue
            _, index, path = key[: -len(".a")].split(".", 2)
            b = state[key[: -len(".a")] + ".b"]
            owner, name = _resolve(layers[int(index)], path)
            linear = getattr(owner, name)
            linear.weight += scale * (b @ a)
            merged += 1
    return merged
