"""The PyTorch ends of resnet-lab's safetensors round trip (test/safetensors-round-trip.test.ts):
PyTorch -> safetensors -> resnet-lab -> safetensors -> PyTorch must give back every tensor bit for bit.

    python3 pytorch/round_trip.py export OUT_DIR
        writes OUT_DIR/<name>.safetensors for each model of MODELS: its state_dict after a few SGD steps in training
        mode (so that weights, batch norm scales, shifts and running statistics are all non-trivial), and
        OUT_DIR/models.json describing them.
    python3 pytorch/round_trip.py compare ORIGINAL CANDIDATE --name NAME
        loads CANDIDATE (written by resnet-lab) into model NAME's architecture with load_state_dict(strict=True),
        compares every tensor with ORIGINAL bitwise, prints a JSON report, and exits 1 if any differs.
        num_batches_tracked is reported, not required equal: resnet-lab does not count batches.
"""

import argparse
import json
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_resnet import build_resnet  # noqa: E402
from safetensors_io import load_file, save_file  # noqa: E402

MODELS = {
    "resnet18-cifar": {"arch": "resnet18", "stem": "cifar", "width": 0.25, "classes": 10, "input_size": 32},
    "resnet50-imagenet": {"arch": "resnet50", "stem": "imagenet", "width": 0.25, "classes": 100, "input_size": 64},
}
TRAINING_STEPS = 3
NUM_BATCHES_TRACKED = "num_batches_tracked"


def build(name: str) -> nn.Module:
    config = MODELS[name]
    return build_resnet(config["arch"], config["classes"], config["stem"], config["width"])


def export(out_dir: str) -> None:
    os.makedirs(out_dir, exist_ok=True)
    for index, (name, config) in enumerate(MODELS.items()):
        torch.manual_seed(index)
        model = build(name)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
        model.train()
        for _ in range(TRAINING_STEPS):
            images = torch.randn(4, 3, config["input_size"], config["input_size"])
            labels = torch.randint(0, config["classes"], (4,))
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(images), labels).backward()
            optimizer.step()
        state = {key: value.clone() for key, value in model.state_dict().items()}
        save_file(state, os.path.join(out_dir, f"{name}.safetensors"), {"arch": config["arch"], "stem": config["stem"]})
    with open(os.path.join(out_dir, "models.json"), "w", encoding="utf-8") as file:
        json.dump(MODELS, file, indent=2)


def same_bits(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Equal dtype, shape and bytes (torch.equal alone takes -0.0 for 0.0)."""
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    return torch.equal(a, b) and a.numpy().tobytes() == b.numpy().tobytes()


def compare(original_path: str, candidate_path: str, name: str) -> dict:
    original, _ = load_file(original_path)
    candidate, metadata = load_file(candidate_path)
    model = build(name)
    report = {"model": name, "metadata": metadata, "tensors": len(candidate)}
    try:
        model.load_state_dict(candidate, strict=True)
    except RuntimeError as error:
        report.update(loaded=False, error=str(error), equal=False)
        return report
    loaded = model.state_dict()
    different = []
    num_batches_tracked = {}
    for key, value in original.items():
        if key.endswith(NUM_BATCHES_TRACKED):
            num_batches_tracked.setdefault("original", set()).add(int(value))
            num_batches_tracked.setdefault("candidate", set()).add(int(loaded[key]))
        elif not same_bits(loaded[key], value) or not same_bits(candidate[key], value):
            difference = (candidate[key].double() - value.double()).abs().max().item()
            different.append({"key": key, "dtype": str(candidate[key].dtype), "max_abs_difference": difference})
    report.update(
        loaded=True,
        compared=sum(1 for key in original if not key.endswith(NUM_BATCHES_TRACKED)),
        different=different,
        # The distinct values over every batch norm.
        num_batches_tracked={side: sorted(values) for side, values in num_batches_tracked.items()},
        equal=not different,
    )
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    export_parser = commands.add_parser("export")
    export_parser.add_argument("out_dir")
    compare_parser = commands.add_parser("compare")
    compare_parser.add_argument("original")
    compare_parser.add_argument("candidate")
    compare_parser.add_argument("--name", choices=MODELS, required=True)
    args = parser.parse_args()
    if args.command == "export":
        export(args.out_dir)
        return
    report = compare(args.original, args.candidate, args.name)
    print(json.dumps(report))
    sys.exit(0 if report["equal"] else 1)


if __name__ == "__main__":
    main()
