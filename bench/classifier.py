"""Benchmark the tone classifier: throughput, latency, load time, memory, bf16/int8 agreement.

Run: .venv/bin/python bench/classifier.py [--messages 1024]
Paste the output into bench/README.md with the date and the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def realistic_messages(count: int) -> list[str]:
    """Return `count` corpus messages (test split first), cycling if needed."""
    from classifiers.corpus import load_examples

    texts = [e.text for e in load_examples(split="test")] + [
        e.text for e in load_examples(split="dev")
    ]
    return [texts[i % len(texts)] for i in range(count)]


def rate(fn, texts: list[str]) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    fn(texts)
    return len(texts) / (time.perf_counter() - started)


def naive_pipeline_rate(texts: list[str], head) -> float:  # type: ignore[no-untyped-def]
    """One `transformers.pipeline` call per message, as a first prototype would do."""
    import torch
    from transformers import pipeline

    from classifiers.encoder import packaged_encoder_path
    from classifiers.text import prepare_text

    extractor = pipeline("feature-extraction", model=str(packaged_encoder_path()), framework="pt")
    started = time.perf_counter()
    for text in texts:
        tokens = torch.tensor(extractor(prepare_text(text))[0])
        pooled = torch.nn.functional.normalize(tokens.mean(0), dim=-1)
        head(pooled.unsqueeze(0))
    return len(texts) / (time.perf_counter() - started)


def memory_only(precision: str, messages: int) -> None:
    """Load one classifier, classify, print peak RSS in MB (run in a fresh process)."""
    from classifiers.model import ToneClassifier

    classifier = ToneClassifier(precision=precision)
    classifier.predict(realistic_messages(messages), batch_size=32)
    print(peak_rss_mb())


def peak_rss_mb() -> float:
    """Return this process's peak resident memory in MB.

    VmHWM belongs to the process image, unlike getrusage's ru_maxrss, which a child
    inherits from the parent it was forked from.
    """
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=1024)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: all CPUs)")
    parser.add_argument("--memory-only", choices=["int8", "bf16", "fp32"])
    args = parser.parse_args()
    if args.memory_only:
        memory_only(args.memory_only, args.messages)
        return

    import torch

    from classifiers.corpus import load_examples
    from classifiers.encoder import default_threads, native_bf16, resolve_precision
    from classifiers.model import ToneClassifier

    threads = args.threads or default_threads()
    torch.set_num_threads(threads)
    texts = realistic_messages(args.messages)
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"torch {torch.__version__}, {threads} threads, "
        f"native bf16: {'yes' if native_bf16() else 'no'} (auto runs {resolve_precision('auto')})"
    )

    started = time.perf_counter()
    fp32 = ToneClassifier(precision="fp32")
    load_seconds = time.perf_counter() - started
    others = {p: ToneClassifier(precision=p) for p in ("bf16", "int8")}
    models = {"fp32": fp32, **others}
    tokens = [len(ids) for ids in fp32.encoder.tokenize(texts)[0]]
    print(
        f"messages: {len(texts)} corpus messages, {statistics.mean(tokens):.1f} tokens on average "
        f"(median {statistics.median(tokens):.0f})"
    )
    print(f"model load (fp32, the default: encoder + adapters + head): {load_seconds:.2f}s")

    for model in models.values():
        model.predict(texts[:64], batch_size=32)  # warm-up
    print("\nthroughput, messages/second (text preparation, language detection and head included)")
    print(f"{'batch':>6}" + "".join(f"{name:>8}" for name in models))
    results: dict[str, dict[int, float]] = {name: {} for name in models}
    for batch in (1, 8, 32, 128):
        sample = texts if batch > 1 else texts[:256]
        for name, model in models.items():
            results[name][batch] = rate(
                lambda t, m=model, b=batch: m.predict(t, batch_size=b), sample
            )
        print(f"{batch:>6}" + "".join(f"{results[name][batch]:>8.1f}" for name in models))

    naive = naive_pipeline_rate(texts[:256], fp32.head)
    print(f"\nnaive per-message transformers.pipeline loop: {naive:.1f} messages/second")
    for name in models:
        best = max(results[name].values())
        print(f"best batched {name} / naive pipeline: {best / naive:.1f}x")

    latency = {}
    for name in ("fp32", "bf16"):
        latencies = []
        for text in texts[:300]:
            started = time.perf_counter()
            models[name].predict(text)
            latencies.append((time.perf_counter() - started) * 1000)
        latencies.sort()
        latency[name] = (latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.99) - 1])
        p50, p99 = latency[name]
        print(f"single-message latency ({name}): p50 {p50:.1f} ms, p99 {p99:.1f} ms")

    test = [e.text for e in load_examples(split="test")]
    reference = [p.label for p in fp32.predict(test, batch_size=32)]
    agreement = {}
    for name, model in others.items():
        labels = [p.label for p in model.predict(test, batch_size=32)]
        agreement[name] = sum(x == y for x, y in zip(labels, reference, strict=True)) / len(test)
        print(
            f"{name} gives the fp32 label on {agreement[name]:.2%} of the test split "
            f"({len(test)} messages)"
        )

    for precision in models:
        peak = (
            subprocess.run(
                [sys.executable, __file__, "--memory-only", precision, "--messages", "512"],
                capture_output=True,
                text=True,
                check=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        print(
            f"peak RSS, one {precision} classifier process classifying 512 messages: "
            f"{float(peak):.0f} MB"
        )
    print(
        json.dumps(
            {
                "batch_rates": results,
                "naive": naive,
                "latency_ms": latency,
                "agreement": agreement,
            }
        )
    )


if __name__ == "__main__":
    main()
