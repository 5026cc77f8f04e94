"""Training and inference throughput of the seed's ResNet in PyTorch on random batches: the PyTorch side of
`npm run bench:vs-pytorch` (packages/trainer/bench/vs-pytorch-bench.ts).

Measures what `resnet-lab bench` measures (packages/trainer/src/training/benchmark-training.ts) on the same model
(reference_resnet.py, the CIFAR stem, 32x32 inputs): a training step is forward, cross-entropy, backward and an SGD
step with momentum 0.9 and weight decay 5e-4 (lr 0.01, as resnet-lab bench); a forward pass is the model in eval mode
under torch.inference_mode(). `--warmup-steps` untimed steps come first, then each step is timed on its own.
`--memory-format channels_last` puts the model and the batch in NHWC, where oneDNN's convolutions need no reorders.

Prints one JSON line: the settings, the versions, and the seconds of every timed step. Needs python3-torch
(Debian: sudo apt-get install python3-torch).
"""

import argparse
import json
import os
import re
import sys
import time

import torch
import torch.nn.functional as F

from reference_resnet import ARCHITECTURES, STEMS, build_resnet

LEARNING_RATE = 0.01
MOMENTUM = 0.9
WEIGHT_DECAY = 5e-4
MEMORY_FORMATS = {"nchw": torch.contiguous_format, "channels_last": torch.channels_last}


def main(argv):
    options = parse_options(argv)
    torch.manual_seed(options.seed)
    torch.set_num_threads(options.threads)
    memory_format = MEMORY_FORMATS[options.memory_format]

    model = build_resnet(options.arch, classes=options.classes, stem=options.stem, width=options.width)
    model = model.to(memory_format=memory_format)
    optimizer = torch.optim.SGD(
        model.parameters(), lr=LEARNING_RATE, momentum=MOMENTUM, weight_decay=WEIGHT_DECAY
    )
    # [batch, 3, size, size], laid out as NHWC in memory for channels_last.
    images = torch.randn(options.batch_size, 3, options.input_size, options.input_size).contiguous(
        memory_format=memory_format
    )
    labels = torch.randint(0, options.classes, (options.batch_size,))

    def train_step():
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(images), labels)
        loss.backward()
        optimizer.step()

    def forward():
        with torch.inference_mode():
            model(images)

    model.train()
    train_seconds = timed(train_step, options.warmup_steps, options.steps)
    model.eval()
    forward_seconds = timed(forward, options.warmup_steps, options.forward_steps)

    config = torch.__config__.show()
    print(
        json.dumps(
            {
                "tool": "pytorch",
                "memoryFormat": options.memory_format,
                "arch": options.arch,
                "stem": options.stem,
                "width": options.width,
                "classes": options.classes,
                "inputSize": options.input_size,
                "batchSize": options.batch_size,
                "threads": torch.get_num_threads(),
                "warmupSteps": options.warmup_steps,
                "trainStepSeconds": train_seconds,
                "forwardStepSeconds": forward_seconds,
                "torch": torch.__version__,
                "onednn": first_match(r"MKL-DNN v(\S+)", config),
                "cpuCapability": first_match(r"CPU capability usage: (\S+)", config),
            }
        ),
        flush=True,
    )


def timed(step, warmup_steps, steps):
    """Seconds of each of `steps` calls of `step`, after `warmup_steps` untimed ones."""
    for _ in range(warmup_steps):
        step()
    seconds = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        seconds.append(time.perf_counter() - start)
    return seconds


def first_match(pattern, text):
    """The first group of `pattern` in `text` (torch's build description), or None where the build does not say."""
    match = re.search(pattern, text)
    return match.group(1) if match else None


def parse_options(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--arch", default="resnet18", choices=list(ARCHITECTURES), help="(default resnet18)")
    parser.add_argument("--stem", default="cifar", choices=list(STEMS), help="(default cifar)")
    parser.add_argument("--width", type=float, default=1.0, help="filter multiplier, 1 = 64 filters (default 1)")
    parser.add_argument("--classes", type=int, default=10, help="(default 10)")
    parser.add_argument("--input-size", type=int, default=32, help="image side in pixels (default 32)")
    parser.add_argument("--batch-size", type=int, default=128, help="(default 128)")
    parser.add_argument("--steps", type=int, default=5, help="timed training steps (default 5)")
    parser.add_argument("--forward-steps", type=int, default=10, help="timed forward passes (default 10)")
    parser.add_argument("--warmup-steps", type=int, default=1, help="untimed steps before each (default 1)")
    parser.add_argument(
        "--memory-format", default="nchw", choices=list(MEMORY_FORMATS), help="layout of model and batch (default nchw)"
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=len(os.sched_getaffinity(0)),
        help="torch.set_num_threads (default: the CPUs this process may use; torch's own default can be 1)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seeds the weights and the batch (default 0)")
    options = parser.parse_args(argv)
    for name in ("classes", "input_size", "batch_size", "steps", "forward_steps", "threads"):
        value = getattr(options, name)
        if value < 1:
            parser.error(f"Expected --{name.replace('_', '-')} to be a positive integer, got {value}.")
    if options.warmup_steps < 0:
        parser.error(f"Expected --warmup-steps to be 0 or more, got {options.warmup_steps}.")
    if not 0 < options.width <= 8:
        parser.error(f"Expected --width to be a number in (0, 8], got {options.width}.")
    return options


if __name__ == "__main__":
    main(sys.argv[1:])
