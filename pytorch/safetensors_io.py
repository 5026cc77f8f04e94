"""Reads and writes safetensors files for torch tensors, without the safetensors package.

Format (https://github.com/huggingface/safetensors#format): an 8-byte little-endian unsigned header length N, N bytes
of UTF-8 JSON mapping each tensor name to {"dtype", "shape", "data_offsets": [begin, end]} (offsets into the data
buffer that follows the header) plus an optional "__metadata__" of string to string, then the raw little-endian
tensor bytes, C order. Like the reference implementation, the header is padded with spaces to a multiple of 8 bytes
and the tensors are ordered by element size, largest first, then by name.
"""

import json
import struct
import sys

import torch

DTYPES = {
    "F64": torch.float64,
    "F32": torch.float32,
    "F16": torch.float16,
    "BF16": torch.bfloat16,
    "I64": torch.int64,
    "I32": torch.int32,
    "I16": torch.int16,
    "I8": torch.int8,
    "U8": torch.uint8,
    "BOOL": torch.bool,
}
NAMES = {dtype: name for name, dtype in DTYPES.items()}
METADATA_KEY = "__metadata__"

if sys.byteorder != "little":
    raise RuntimeError("safetensors_io assumes a little-endian machine, as torch's raw storage is native-endian.")


class SafetensorsFormatError(ValueError):
    """A file that is not valid safetensors; the message says what was expected and what was found."""


def tensor_bytes(tensor: torch.Tensor) -> bytes:
    """The tensor's raw bytes in C order (native = little-endian)."""
    flat = tensor.detach().cpu().contiguous().reshape(-1)
    # numpy has no bfloat16: reinterpret its 16 bits as int16.
    if flat.dtype == torch.bfloat16:
        flat = flat.view(torch.int16)
    return flat.numpy().tobytes()


def serialize(tensors: dict, metadata: dict | None = None) -> bytes:
    # As the reference implementation: largest elements first (every tensor stays aligned), then by name.
    names = sorted(tensors, key=lambda name: (-tensors[name].element_size(), name))
    header: dict = {}
    if metadata:
        for key, value in metadata.items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise TypeError(f"Expected metadata of str to str, got {key!r}: {value!r}.")
        header[METADATA_KEY] = dict(metadata)
    chunks = []
    offset = 0
    for name in names:
        tensor = tensors[name]
        if tensor.dtype not in NAMES:
            raise TypeError(f"Tensor '{name}' has dtype {tensor.dtype}, which safetensors_io does not write.")
        data = tensor_bytes(tensor)
        header[name] = {
            "dtype": NAMES[tensor.dtype],
            "shape": list(tensor.shape),
            "data_offsets": [offset, offset + len(data)],
        }
        chunks.append(data)
        offset += len(data)
    header_bytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    header_bytes += b" " * (-len(header_bytes) % 8)
    return struct.pack("<Q", len(header_bytes)) + header_bytes + b"".join(chunks)


def deserialize(data: bytes) -> tuple[dict, dict]:
    """Returns (tensors by name, metadata). Checks that the offsets tile the data buffer exactly."""
    if len(data) < 8:
        raise SafetensorsFormatError(f"Expected at least 8 bytes (the header length), got {len(data)}.")
    (header_length,) = struct.unpack("<Q", data[:8])
    if 8 + header_length > len(data):
        raise SafetensorsFormatError(f"Header length {header_length} runs past the end of the {len(data)}-byte file.")
    try:
        header = json.loads(data[8 : 8 + header_length].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SafetensorsFormatError(f"Expected a JSON header: {error}") from error
    if not isinstance(header, dict):
        raise SafetensorsFormatError(f"Expected the header to be a JSON object, got {type(header).__name__}.")
    metadata = header.pop(METADATA_KEY, None) or {}
    buffer = memoryview(data)[8 + header_length :]
    tensors = {}
    spans = []
    for name, info in header.items():
        dtype_name = info.get("dtype")
        if dtype_name not in DTYPES:
            allowed = ", ".join(DTYPES)
            raise SafetensorsFormatError(f"Tensor '{name}': unknown dtype {dtype_name!r}; allowed: {allowed}.")
        dtype = DTYPES[dtype_name]
        shape = [int(size) for size in info["shape"]]
        begin, end = (int(offset) for offset in info["data_offsets"])
        count = 1
        for size in shape:
            count *= size
        expected = count * torch.empty((), dtype=dtype).element_size()
        if end - begin != expected or begin < 0 or end > len(buffer):
            raise SafetensorsFormatError(
                f"Tensor '{name}': data_offsets [{begin}, {end}] do not hold {expected} bytes of {dtype_name} {shape}"
                f" within a {len(buffer)}-byte data buffer."
            )
        spans.append((begin, end, name))
        raw = bytearray(buffer[begin:end])
        tensor = torch.frombuffer(raw, dtype=dtype) if count > 0 else torch.empty(0, dtype=dtype)
        tensors[name] = tensor.reshape(shape).clone()
    position = 0
    for begin, end, name in sorted(spans):
        if begin != position:
            raise SafetensorsFormatError(f"Tensor '{name}' starts at {begin}, expected {position} (gap or overlap).")
        position = end
    if position != len(buffer):
        raise SafetensorsFormatError(f"The tensors end at byte {position} of a {len(buffer)}-byte data buffer.")
    return tensors, metadata


def save_file(tensors: dict, path: str, metadata: dict | None = None) -> None:
    with open(path, "wb") as file:
        file.write(serialize(tensors, metadata))


def load_file(path: str) -> tuple[dict, dict]:
    with open(path, "rb") as file:
        return deserialize(file.read())
