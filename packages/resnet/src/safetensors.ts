// The safetensors file format (https://github.com/huggingface/safetensors): an 8-byte little-endian header length,
// a JSON header naming each tensor's dtype, shape and byte range, then the tensors' raw little-endian bytes.
// Read and written here without a dependency: the format is small, and Python is not needed at run time.

/** Bytes per element of each dtype the format defines. */
export const SAFETENSORS_DTYPE_BYTES = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U64: 8,
  U32: 4,
  U16: 2,
  U8: 1,
  BOOL: 1,
  F8_E4M3: 1,
  F8_E5M2: 1,
} as const;

export type SafetensorsDtype = keyof typeof SAFETENSORS_DTYPE_BYTES;

export interface SafetensorsTensor {
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  /** Raw little-endian bytes, `product(shape) * bytes per element` long. */
  readonly data: Uint8Array;
}

export interface SafetensorsFile {
  /** Tensors in the order of their data in the file. */
  readonly tensors: Map<string, SafetensorsTensor>;
  /** The header's `__metadata__`: free-form string pairs. */
  readonly metadata: Record<string, string>;
}

/** The reference implementation refuses headers over 100 MB. */
export const MAX_HEADER_BYTES = 100_000_000;
const METADATA_KEY = '__metadata__';

/** A file that is not valid safetensors; the message says what is wrong and where. */
export class SafetensorsFormatError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SafetensorsFormatError';
  }
}

/** Parses a whole safetensors file. Tensor data are views into `bytes` (no copy). */
export function readSafetensors(bytes: Uint8Array): SafetensorsFile {
  if (bytes.byteLength < 8) {
    throw new SafetensorsFormatError(
      `A safetensors file starts with an 8-byte header length; got ${bytes.byteLength} bytes.`,
    );
  }
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (headerLength > BigInt(Math.min(MAX_HEADER_BYTES, bytes.byteLength - 8))) {
    throw new SafetensorsFormatError(
      `The header length ${headerLength} exceeds the file (${bytes.byteLength} bytes) or the ${MAX_HEADER_BYTES}-byte limit: not a safetensors file.`,
    );
  }
  const dataStart = 8 + Number(headerLength);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, dataStart)));
  } catch (error) {
    throw new SafetensorsFormatError(`The header is not valid UTF-8 JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new SafetensorsFormatError('The header must be a JSON object of tensor names.');
  }
  const dataLength = bytes.byteLength - dataStart;
  const entries: { name: string; tensor: SafetensorsTensor; begin: number; end: number }[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === METADATA_KEY) {
      metadata = parseMetadata(value);
      continue;
    }
    const { dtype, shape, begin, end } = parseEntry(name, value, dataLength);
    entries.push({
      name,
      begin,
      end,
      tensor: { dtype, shape, data: bytes.subarray(dataStart + begin, dataStart + end) },
    });
  }
  entries.sort((a, b) => a.begin - b.begin);
  // As the reference implementation: the tensors cover the data exactly, without gaps or overlaps.
  let position = 0;
  for (const { name, begin, end } of entries) {
    if (begin !== position) {
      throw new SafetensorsFormatError(
        `Tensor '${name}' starts at byte ${begin} of the data, expected ${position}: tensors overlap or leave a gap.`,
      );
    }
    position = end;
  }
  if (position !== dataLength) {
    throw new SafetensorsFormatError(`The tensors cover ${position} bytes of data but the file holds ${dataLength}.`);
  }
  return { tensors: new Map(entries.map(({ name, tensor }) => [name, tensor])), metadata };
}

/**
 * Serializes tensors as the reference implementation does: the header padded with spaces to a multiple of 8 bytes,
 * tensors ordered by element size (largest first, so every tensor stays aligned), then by name.
 */
export function writeSafetensors(
  tensors: ReadonlyMap<string, SafetensorsTensor>,
  metadata: Readonly<Record<string, string>> = {},
): Uint8Array {
  const ordered = [...tensors].sort(
    ([nameA, a], [nameB, b]) =>
      SAFETENSORS_DTYPE_BYTES[b.dtype] - SAFETENSORS_DTYPE_BYTES[a.dtype] ||
      (nameA < nameB ? -1 : nameA > nameB ? 1 : 0),
  );
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header[METADATA_KEY] = { ...metadata };
  let offset = 0;
  for (const [name, tensor] of ordered) {
    if (name === METADATA_KEY) throw new SafetensorsFormatError(`'${METADATA_KEY}' cannot name a tensor.`);
    const expected = elementCount(tensor.shape) * SAFETENSORS_DTYPE_BYTES[tensor.dtype];
    if (tensor.data.byteLength !== expected) {
      throw new SafetensorsFormatError(
        `Tensor '${name}' (${tensor.dtype} ${formatShape(tensor.shape)}) needs ${expected} bytes, got ${tensor.data.byteLength}.`,
      );
    }
    header[name] = { dtype: tensor.dtype, shape: [...tensor.shape], data_offsets: [offset, offset + expected] };
    offset += expected;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = Math.ceil(json.byteLength / 8) * 8;
  const file = new Uint8Array(8 + headerLength + offset);
  new DataView(file.buffer).setBigUint64(0, BigInt(headerLength), true);
  file.set(json, 8);
  file.fill(0x20, 8 + json.byteLength, 8 + headerLength);
  let position = 8 + headerLength;
  for (const [, tensor] of ordered) {
    file.set(tensor.data, position);
    position += tensor.data.byteLength;
  }
  return file;
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((product, size) => product * size, 1);
}

/** `[64, 3, 3, 3]`, as PyTorch prints a shape. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function parseMetadata(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SafetensorsFormatError(`'${METADATA_KEY}' must be an object of strings.`);
  }
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== 'string') {
      throw new SafetensorsFormatError(`'${METADATA_KEY}.${key}' must be a string, got ${JSON.stringify(entry)}.`);
    }
  }
  return value as Record<string, string>;
}

function parseEntry(
  name: string,
  value: unknown,
  dataLength: number,
): { dtype: SafetensorsDtype; shape: number[]; begin: number; end: number } {
  const entry = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
  if (typeof entry !== 'object' || entry === null) {
    throw new SafetensorsFormatError(`Tensor '${name}' must be described by an object, got ${JSON.stringify(value)}.`);
  }
  const { dtype, shape, data_offsets: offsets } = entry;
  if (typeof dtype !== 'string' || !Object.hasOwn(SAFETENSORS_DTYPE_BYTES, dtype)) {
    throw new SafetensorsFormatError(
      `Tensor '${name}' has dtype ${JSON.stringify(dtype)}; known: ${Object.keys(SAFETENSORS_DTYPE_BYTES).join(', ')}.`,
    );
  }
  if (!Array.isArray(shape) || !shape.every((size) => Number.isSafeInteger(size) && size >= 0)) {
    throw new SafetensorsFormatError(
      `Tensor '${name}' has shape ${JSON.stringify(shape)}; expected non-negative integers.`,
    );
  }
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((offset) => Number.isSafeInteger(offset) && offset >= 0) ||
    offsets[0] > offsets[1] ||
    offsets[1] > dataLength
  ) {
    throw new SafetensorsFormatError(
      `Tensor '${name}' has data_offsets ${JSON.stringify(offsets)}; expected [begin, end] within the ${dataLength} bytes of data.`,
    );
  }
  const [begin, end] = offsets as [number, number];
  const expected = elementCount(shape as number[]) * SAFETENSORS_DTYPE_BYTES[dtype as SafetensorsDtype];
  if (end - begin !== expected) {
    throw new SafetensorsFormatError(
      `Tensor '${name}' (${dtype} ${formatShape(shape as number[])}) needs ${expected} bytes but its data_offsets span ${end - begin}.`,
    );
  }
  return { dtype: dtype as SafetensorsDtype, shape: shape as number[], begin, end };
}
