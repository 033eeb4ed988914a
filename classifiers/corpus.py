"""The labelled corpus: loading it, and fixing its train / dev / test splits.

`python -m classifiers.corpus build RAW.jsonl…` assembles the hand-written parts into
`data/corpus.jsonl`, dropping exact and near duplicates and assigning each group of
near-identical messages to one split, so no test message has a twin in training.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from classifiers.labels import LABELS

DATA_DIR = Path(__file__).resolve().parent / "data"
CORPUS = DATA_DIR / "corpus.jsonl"
CHALLENGE = DATA_DIR / "challenge.jsonl"
SPLITS = ("train", "dev", "test")
# Share of near-duplicate groups per split, by a stable hash of the group.
SPLIT_SHARES = (("train", 0.70), ("dev", 0.15), ("test", 0.15))
NEAR_DUPLICATE_JACCARD = 0.75

# Client companies used in the corpus; each appears under every label.
COMPANIES = (
    "Acme", "Globex", "Initech", "Northwind", "Contoso", "Halcyon Bank", "Vandelay Imports",
    "Kestrel Air", "Orbital Freight", "Pinecrest Clinics", "Tidewater Insurance",
    "Zenko Logistics", "Bluefin Media", "Marlow & Finch", "Helix Pharma", "Redwood Schools",
    "Sable Motors", "Quantra", "Brightline Foods", "Umbra Retail",
    # Part 2
    "Ferrovia Cargo", "Lindgren Dental", "Oakhurst Energy", "Pemberly Foods", "Calloway Insurance",
    "Northstar Clinics", "Rivermouth Logistics", "Stonebridge Bank", "Aurelia Hotels",
    "Millbrook Schools", "Thornfield Pharma", "Westgate Retail", "Harrow & Sons",
    "Brightwater Utilities", "Kepler Aerospace", "Marigold Travel", "Dunmore Freight",
    "Solace Health", "Ironwood Manufacturing", "Bellhaven Council",
)  # fmt: skip

HARD_PHENOMENA = frozenset(
    {
        "sarcasm", "polite_contempt", "profane_criticism", "negation", "quote_customer",
        "db_users", "tool_insult", "competitor_insult", "colleague_insult", "mixed", "contrast",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Example:
    """One labelled message."""

    text: str
    label: str
    lang: str
    phenomenon: str = "plain"
    split: str = "train"

    @property
    def hard(self) -> bool:
        """Tell whether this is one of the hard cases."""
        return self.phenomenon in HARD_PHENOMENA


def read_jsonl(path: Path) -> Iterator[dict[str, object]]:
    """Yield the objects of a JSON Lines file, naming the line of any bad one."""
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{number}: not JSON ({exc.msg})") from None


def load_examples(path: Path = CORPUS, split: str | None = None) -> list[Example]:
    """Load labelled examples, optionally only one split."""
    examples = []
    for raw in read_jsonl(path):
        example = Example(
            text=str(raw["text"]),
            label=str(raw["label"]),
            lang=str(raw.get("lang", "en")),
            phenomenon=str(raw.get("phenomenon", "plain")),
            split=str(raw.get("split", "test")),
        )
        if example.label not in LABELS:
            raise ValueError(f"{path}: unknown label {example.label!r}")
        if split is None or example.split == split:
            examples.append(example)
    return examples


_MENTION = re.compile(r"<[^>]*>")
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
_DIGITS = re.compile(r"\d+")


def _normalise(text: str) -> str:
    text = _MENTION.sub(" ", text.lower())
    for company in COMPANIES:
        text = text.replace(company.lower().replace("&", "&amp;"), " co ")
        text = text.replace(company.lower(), " co ")
    text = _DIGITS.sub("0", text)
    return " ".join(_NON_WORD.sub(" ", text).split())


def _shingles(text: str) -> frozenset[str]:
    words = text.split()
    if len(words) < 4:
        return frozenset({text})
    return frozenset(" ".join(words[i : i + 2]) for i in range(len(words) - 1))


def _groups(texts: list[str]) -> list[int]:
    """Union near-duplicates (Jaccard of word bigrams) into groups; return a group per text."""
    parent = list(range(len(texts)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    shingles = [_shingles(t) for t in texts]
    by_shingle: dict[str, list[int]] = {}
    for i, sh in enumerate(shingles):
        for s in sh:
            by_shingle.setdefault(s, []).append(i)
    for i, sh in enumerate(shingles):
        candidates: Counter[int] = Counter()
        for s in sh:
            for j in by_shingle[s]:
                if j < i:
                    candidates[j] += 1
        for j, shared in candidates.items():
            union = len(sh) + len(shingles[j]) - shared
            if union and shared / union >= NEAR_DUPLICATE_JACCARD:
                parent[find(i)] = find(j)
    return [find(i) for i in range(len(texts))]


def split_of(key: str) -> str:
    """Return the fixed split of a group, from a stable hash of its key."""
    point = int(hashlib.sha256(key.encode("utf-8")).hexdigest()[:8], 16) / 0xFFFFFFFF
    total = 0.0
    for name, share in SPLIT_SHARES:
        total += share
        if point < total:
            return name
    return SPLIT_SHARES[-1][0]


def build(records: Iterable[dict[str, object]]) -> tuple[list[Example], Counter[str]]:
    """Deduplicate records and assign splits; return the examples and what was dropped."""
    dropped: Counter[str] = Counter()
    seen: dict[str, str] = {}
    kept: list[dict[str, object]] = []
    for raw in records:
        text, label = str(raw.get("text", "")), str(raw.get("label", ""))
        if not text.strip() or label not in LABELS:
            dropped["invalid"] += 1
            continue
        key = _normalise(text)
        if key in seen:
            dropped["exact duplicate" if seen[key] == label else "conflicting duplicate"] += 1
            continue
        seen[key] = label
        kept.append(raw)
    keys = [_normalise(str(r["text"])) for r in kept]
    groups = _groups(keys)
    examples = [
        Example(
            text=str(raw["text"]),
            label=str(raw["label"]),
            lang=str(raw.get("lang", "en")),
            phenomenon=str(raw.get("phenomenon", "plain")),
            split=split_of(keys[group]),
        )
        for raw, group in zip(kept, groups, strict=True)
    ]
    return examples, dropped


def write(examples: list[Example], path: Path) -> None:
    """Write examples as JSON Lines."""
    with path.open("w", encoding="utf-8") as handle:
        for example in examples:
            handle.write(json.dumps(asdict(example), ensure_ascii=False) + "\n")


def _main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] != "build":
        print("usage: python -m classifiers.corpus build RAW.jsonl…", file=sys.stderr)
        return 2
    records: list[dict[str, object]] = []
    for name in argv[1:]:
        records.extend(read_jsonl(Path(name)))
    examples, dropped = build(records)
    write(examples, CORPUS)
    print(f"{len(examples)} examples written to {CORPUS}; dropped {dict(dropped)}")
    print("splits:", dict(Counter(e.split for e in examples)))
    print("labels:", dict(Counter(e.label for e in examples)))
    print("languages:", dict(Counter(e.lang for e in examples)))
    print(f"hard: {sum(e.hard for e in examples) / len(examples):.0%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
