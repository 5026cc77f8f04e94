"""The seed's CIFAR-10 training recipe in PyTorch on an image folder, split and preprocessed exactly as resnet-lab does.

The yardstick that `resnet-lab train` is measured against (npm run bench:yardstick): ResNet18 (the seed's model,
PyTorch's default initialization), SGD with batch 128, lr 0.1, momentum 0.9, weight decay 5e-4, cross-entropy,
random 32x32 crops of the image zero-padded by 4 pixels and horizontal flips, per-channel normalization computed on
the training split. The data follow packages/trainer/src/data (image-folder.ts, load-dataset.ts, make-batch.ts):

- `<data>/train` (and `<data>/test` when present) if `<data>` holds a `train` folder, else `<data>` alone;
- classes are the non-hidden subfolders in plain string order, files the non-hidden *.png|*.jpg|*.jpeg in name
  order, the first `--limit-per-class` of each class;
- without a test folder, the last round(test_fraction * n) files of each class are held out (JavaScript rounding);
- images are decoded to RGB with PIL (torchvision's default loader) and resized to 32x32 with resnet-lab's bilinear
  resize (half-pixel centres, no antialiasing) where they differ;
- normalization: mean and population standard deviation per channel of the training split's pixels / 255;
- padding is black in pixel space, i.e. (0 - mean) / std after normalization, as RandomCrop on the PIL image;
- every epoch draws a new order (torch.randperm) and new crops and flips from torch's seeded generator.

Prints one JSON line: the last epoch's figures, measured as resnet-lab measures them (train accuracy and loss are
means over the epoch's images of the per-batch figures under training-mode batch norm; test figures in eval mode).
Progress goes to stderr every --log-every batches. Needs python3-torch and python3-pil (Debian: apt-get install
python3-torch python3-pil).
"""

import argparse
import hashlib
import json
import math
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn as nn

try:
    from PIL import Image
except ImportError as error:  # Said plainly: the bench driver checks for this message's install line.
    raise SystemExit("yardstick.py needs PIL to decode images: apt-get install python3-pil") from error

from reference_resnet import build_resnet

# The seed's recipe (kuangliu/pytorch-cifar main.py, and the seed's own script).
BATCH_SIZE = 128
LEARNING_RATE = 0.1
MOMENTUM = 0.9
WEIGHT_DECAY = 5e-4
# The seed divides the learning rate by 10 at these epochs (counted from 0).
LEARNING_RATE_DROPS = (50, 100)
IMAGE_SIZE = 32
CROP_PADDING = 4
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg")


class YardstickError(Exception):
    """A dataset or option the script cannot use; the message names the value and what was expected."""


def main(argv):
    options = parse_options(argv)
    torch.manual_seed(options.seed)
    np.random.seed(options.seed)
    random.seed(options.seed)
    if options.threads is not None:
        torch.set_num_threads(options.threads)
    started = time.perf_counter()

    train_files, test_files, class_names = split_image_folder(
        options.data, options.test_fraction, options.limit_per_class
    )
    train_images, train_labels = decode_files(train_files)
    test_images, test_labels = decode_files(test_files)
    mean, std = normalization(train_images)
    if options.describe_data:
        print(json.dumps(describe_data(class_names, train_images, train_labels, test_images, test_labels, mean, std)))
        return
    table = normalization_table(mean, std)

    model = build_resnet("resnet18", classes=len(class_names), stem="cifar", width=options.width)
    optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE, momentum=MOMENTUM, weight_decay=WEIGHT_DECAY)
    criterion = nn.CrossEntropyLoss()

    result = None
    for epoch in range(options.epochs):
        for group in optimizer.param_groups:
            group["lr"] = learning_rate_at(epoch)
        train_loss, train_accuracy = train_epoch(
            model, optimizer, criterion, train_images, train_labels, table, epoch, options.log_every
        )
        test_loss, test_accuracy = evaluate(model, criterion, test_images, test_labels, table)
        result = {
            "tool": "pytorch",
            "seed": options.seed,
            "epoch": epoch + 1,
            "trainAccuracy": train_accuracy,
            "trainLoss": train_loss,
            "testAccuracy": test_accuracy,
            "testLoss": test_loss,
            "trainImages": len(train_labels),
            "testImages": len(test_labels),
            "width": options.width,
            "threads": torch.get_num_threads(),
            "torch": torch.__version__,
            "seconds": time.perf_counter() - started,
        }
        print(f"epoch {epoch + 1}: {json.dumps(result)}", file=sys.stderr, flush=True)
    print(json.dumps(result), flush=True)


def parse_options(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="image folder: <dir>/<class>/*.jpg, or <dir>/train[/test]/...")
    parser.add_argument("--epochs", type=int, default=1, help="(default 1)")
    parser.add_argument("--seed", type=int, default=0, help="seeds initialization, order and augmentation (default 0)")
    parser.add_argument("--width", type=float, default=1.0, help="filter multiplier, 1 = 64 filters (default 1)")
    parser.add_argument("--test-fraction", type=float, default=0.1, help="share of each class held out (default 0.1)")
    parser.add_argument("--limit-per-class", type=int, default=None, help="first n images of each class (default all)")
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default torch's own)")
    parser.add_argument("--log-every", type=int, default=100, help="progress on stderr every n batches (default 100)")
    parser.add_argument(
        "--describe-data",
        action="store_true",
        help="print the split, labels, a digest of the pixels and the normalization as JSON, and train nothing",
    )
    options = parser.parse_args(argv)
    if options.epochs < 1:
        parser.error(f"Expected --epochs to be a positive integer, got {options.epochs}.")
    if not 0 <= options.test_fraction <= 0.9:
        parser.error(f"Expected --test-fraction to be a number from 0 to 0.9, got {options.test_fraction}.")
    if options.limit_per_class is not None and options.limit_per_class < 1:
        parser.error(f"Expected --limit-per-class to be a positive integer, got {options.limit_per_class}.")
    if options.threads is not None and options.threads < 1:
        parser.error(f"Expected --threads to be a positive integer, got {options.threads}.")
    if not 0 < options.width <= 8:
        parser.error(f"Expected --width to be a number in (0, 8], got {options.width}.")
    return options


def learning_rate_at(epoch):
    return LEARNING_RATE * 0.1 ** sum(epoch >= drop for drop in LEARNING_RATE_DROPS)


def split_image_folder(data, test_fraction, limit_per_class):
    """([(path, label)] train, [(path, label)] test, class names), as resnet-lab's loadDataset splits `data`."""
    train_root = os.path.join(data, "train")
    if os.path.isdir(train_root):
        test_root = os.path.join(data, "test")
        test_root = test_root if os.path.isdir(test_root) else None
    else:
        train_root, test_root = data, None
    if not os.path.isdir(train_root):
        raise YardstickError(f"Image folder {train_root} does not exist or is not a directory.")

    class_names = class_folders(train_root)
    files_per_class = [class_files(train_root, name, limit_per_class) for name in class_names]
    if test_root is not None:
        if class_folders(test_root) != class_names:
            raise YardstickError(f"Test folder {test_root} must hold the same class subfolders as {train_root}.")
        train = [file for files in files_per_class for file in files]
        test = [file for name in class_names for file in class_files(test_root, name, limit_per_class)]
        return labelled(train, class_names), labelled(test, class_names), class_names
    train, test = [], []
    for files in files_per_class:
        # JavaScript's Math.round (halves up), not Python's round (halves to even).
        train_count = len(files) - math.floor(test_fraction * len(files) + 0.5)
        train += files[:train_count]
        test += files[train_count:]
    return labelled(train, class_names), labelled(test, class_names), class_names


def class_folders(root):
    # Python orders str by code point, JavaScript by UTF-16 code unit: the same for every name without characters
    # beyond U+FFFF.
    with os.scandir(root) as entries:
        names = sorted(entry.name for entry in entries if not entry.name.startswith(".") and entry.is_dir())
    if not names:
        raise YardstickError(f"Image folder {root} has no class subfolders.")
    return names


def class_files(root, class_name, limit_per_class):
    folder = os.path.join(root, class_name)
    with os.scandir(folder) as entries:
        names = sorted(
            entry.name
            for entry in entries
            if not entry.is_dir(follow_symlinks=False)
            and not entry.name.startswith(".")
            and entry.name.lower().endswith(IMAGE_EXTENSIONS)
        )
    if not names:
        raise YardstickError(f"Class folder {folder} holds no images: expected *.png, *.jpg or *.jpeg files.")
    return [(os.path.join(folder, name), class_name) for name in names[:limit_per_class]]


def labelled(files, class_names):
    label_of = {name: label for label, name in enumerate(class_names)}
    return [(path, label_of[class_name]) for path, class_name in files]


def decode_files(files):
    """uint8 [n, 32, 32, 3] images and int64 [n] labels."""
    images = np.empty((len(files), IMAGE_SIZE, IMAGE_SIZE, 3), dtype=np.uint8)
    for index, (path, _) in enumerate(files):
        with Image.open(path) as image:
            pixels = np.asarray(image.convert("RGB"), dtype=np.uint8)
        images[index] = resize_bilinear(pixels, IMAGE_SIZE, IMAGE_SIZE)
    return images, np.array([label for _, label in files], dtype=np.int64)


def resize_bilinear(pixels, width, height):
    """resnet-lab's resizeImage: bilinear, half-pixel centres clamped to the edges, no antialiasing, rounded."""
    if pixels.shape[0] == height and pixels.shape[1] == width:
        return pixels
    rows = sampling_positions(pixels.shape[0], height)
    columns = sampling_positions(pixels.shape[1], width)
    source = pixels.astype(np.float64)
    top = source[rows[0]]  # [height, in_width, 3]
    bottom = source[rows[1]]
    weight_x = columns[2][None, :, None]
    upper = top[:, columns[0]] + (top[:, columns[1]] - top[:, columns[0]]) * weight_x
    lower = bottom[:, columns[0]] + (bottom[:, columns[1]] - bottom[:, columns[0]]) * weight_x
    # Math.round of a non-negative number.
    return np.floor(upper + (lower - upper) * rows[2][:, None, None] + 0.5).astype(np.uint8)


def sampling_positions(input_size, output_size):
    position = np.clip((np.arange(output_size) + 0.5) * (input_size / output_size) - 0.5, 0, input_size - 1)
    lower = np.floor(position).astype(np.int64)
    return lower, np.minimum(lower + 1, input_size - 1), position - lower


def normalization(images):
    """Per-channel mean and population standard deviation of `images` / 255, as resnet-lab's computeNormalization."""
    pixels = images.reshape(-1, 3)
    count = pixels.shape[0]
    if count == 0:
        raise YardstickError("Cannot compute normalization statistics of an empty training split.")
    values = np.arange(256, dtype=np.float64)
    mean, std = [], []
    for channel in range(3):
        # Integer histograms keep the sums exact; the sums are then added in the same order as resnet-lab's.
        histogram = np.bincount(pixels[:, channel], minlength=256).astype(np.float64)
        total = 0.0
        total_of_squares = 0.0
        for value in range(256):
            total += histogram[value] * value
            total_of_squares += histogram[value] * value * value
        channel_mean = total / count
        variance = max(0.0, total_of_squares / count - channel_mean * channel_mean)
        mean.append(float(channel_mean / 255))
        std.append(math.sqrt(variance) / 255)
    return mean, std


def normalization_table(mean, std):
    """float32 [3, 256]: byte value -> (value / 255 - mean) / std per channel, computed in float64 as resnet-lab."""
    values = np.arange(256, dtype=np.float64)
    return np.stack([(values / 255 - mean[channel]) / std[channel] for channel in range(3)]).astype(np.float32)


def describe_data(class_names, train_images, train_labels, test_images, test_labels, mean, std):
    """What both tools must agree on before training: classes, per-split labels in order, pixels, normalization."""
    return {
        "classNames": class_names,
        "trainLabels": train_labels.tolist(),
        "testLabels": test_labels.tolist(),
        "trainPixelsSha256": hashlib.sha256(train_images.tobytes()).hexdigest(),
        "testPixelsSha256": hashlib.sha256(test_images.tobytes()).hexdigest(),
        "normalization": {"mean": mean, "std": std},
    }


def to_batch(images, table):
    """float32 NCHW tensor of uint8 NHWC `images`, normalized by `table`."""
    normalized = table[np.arange(3), images]  # [n, h, w, 3]
    return torch.from_numpy(np.ascontiguousarray(normalized.transpose(0, 3, 1, 2)))


def augment(images):
    """RandomCrop(32, padding=4) then RandomHorizontalFlip() of each image, drawn from torch's generator."""
    count, height, width, _ = images.shape
    padded = np.pad(images, ((0, 0), (CROP_PADDING, CROP_PADDING), (CROP_PADDING, CROP_PADDING), (0, 0)))
    positions = 2 * CROP_PADDING + 1
    crops = np.empty_like(images)
    for index in range(count):
        top = int(torch.randint(0, positions, (1,)))
        left = int(torch.randint(0, positions, (1,)))
        crop = padded[index, top : top + height, left : left + width]
        crops[index] = crop[:, ::-1] if float(torch.rand(1)) < 0.5 else crop
    return crops


def train_epoch(model, optimizer, criterion, images, labels, table, epoch, log_every):
    model.train()
    order = torch.randperm(len(labels)).numpy()
    batches = math.ceil(len(labels) / BATCH_SIZE)
    loss_sum = 0.0
    correct = 0
    for batch in range(batches):
        indices = order[batch * BATCH_SIZE : (batch + 1) * BATCH_SIZE]
        inputs = to_batch(augment(images[indices]), table)
        targets = torch.from_numpy(labels[indices])
        optimizer.zero_grad()
        outputs = model(inputs)
        loss = criterion(outputs, targets)
        loss.backward()
        optimizer.step()
        batch_correct = int((outputs.argmax(1) == targets).sum())
        loss_sum += loss.item() * len(indices)
        correct += batch_correct
        if batch % log_every == 0 or batch == batches - 1:
            print(
                f"epoch {epoch + 1} batch {batch + 1}/{batches}: loss {loss.item():.4f}, "
                f"accuracy {batch_correct / len(indices):.4f}",
                file=sys.stderr,
                flush=True,
            )
    return loss_sum / len(labels), correct / len(labels)


def evaluate(model, criterion, images, labels, table):
    if len(labels) == 0:
        return None, None
    model.eval()
    loss_sum = 0.0
    correct = 0
    with torch.no_grad():
        for start in range(0, len(labels), BATCH_SIZE):
            inputs = to_batch(images[start : start + BATCH_SIZE], table)
            targets = torch.from_numpy(labels[start : start + BATCH_SIZE])
            outputs = model(inputs)
            loss_sum += criterion(outputs, targets).item() * len(targets)
            correct += int((outputs.argmax(1) == targets).sum())
    return loss_sum / len(labels), correct / len(labels)


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except YardstickError as error:
        print(f"yardstick.py: {error}", file=sys.stderr)
        sys.exit(1)
