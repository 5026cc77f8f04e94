import { describe, expect, it } from 'vitest';
import { SafetensorsFormatError, readSafetensors, writeSafetensors, type SafetensorsTensor } from './safetensors.js';

const bytesOf = (array: Float32Array | Float64Array | BigInt64Array | Uint16Array) =>
  new Uint8Array(array.buffer, array.byteOffset, array.byteLength);

/** A file from a header object and data bytes, written by hand as the format describes it. */
function handMade(header: object, data: Uint8Array, headerLength?: number): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const file = new Uint8Array(8 + json.byteLength + data.byteLength);
  new DataView(file.buffer).setBigUint64(0, BigInt(headerLength ?? json.byteLength), true);
  file.set(json, 8);
  file.set(data, 8 + json.byteLength);
  return file;
}

describe('writeSafetensors', () => {
  it('writes the length, a space-padded header and the data ordered by element size, then name', () => {
    const tensors = new Map<string, SafetensorsTensor>([
      ['b.weight', { dtype: 'F32', shape: [2], data: bytesOf(new Float32Array([1, -2])) }],
      ['a.weight', { dtype: 'F32', shape: [1, 1], data: bytesOf(new Float32Array([0.5])) }],
      ['bn.num_batches_tracked', { dtype: 'I64', shape: [], data: bytesOf(new BigInt64Array([7n])) }],
    ]);
    const file = writeSafetensors(tensors, { format: 'pt' });
    const header =
      '{"__metadata__":{"format":"pt"},' +
      '"bn.num_batches_tracked":{"dtype":"I64","shape":[],"data_offsets":[0,8]},' +
      '"a.weight":{"dtype":"F32","shape":[1,1],"data_offsets":[8,12]},' +
      '"b.weight":{"dtype":"F32","shape":[2],"data_offsets":[12,20]}}';
    const padded = Math.ceil(header.length / 8) * 8;
    expect(new DataView(file.buffer).getBigUint64(0, true)).toBe(BigInt(padded));
    expect(new TextDecoder().decode(file.subarray(8, 8 + padded))).toBe(header.padEnd(padded, ' '));
    const data = file.subarray(8 + padded);
    expect(new BigInt64Array(data.slice(0, 8).buffer)[0]).toBe(7n);
    expect(Array.from(new Float32Array(data.slice(8, 20).buffer))).toEqual([0.5, 1, -2]);
    expect(file.byteLength).toBe(8 + padded + 20);
  });

  it('refuses data of the wrong length for the shape', () => {
    const tensors = new Map<string, SafetensorsTensor>([
      ['x', { dtype: 'F32', shape: [3], data: bytesOf(new Float32Array(2)) }],
    ]);
    expect(() => writeSafetensors(tensors)).toThrow("Tensor 'x' (F32 [3]) needs 12 bytes, got 8.");
  });
});

describe('readSafetensors', () => {
  it('reads back what it writes: names, dtypes, shapes, bytes and metadata', () => {
    const tensors = new Map<string, SafetensorsTensor>([
      ['conv.weight', { dtype: 'F32', shape: [2, 1, 1, 2], data: bytesOf(new Float32Array([1, 2, 3, Math.PI])) }],
      ['half', { dtype: 'F16', shape: [3], data: bytesOf(new Uint16Array([0x3c00, 0xc000, 0x0001])) }],
      ['double', { dtype: 'F64', shape: [], data: bytesOf(new Float64Array([1e-300])) }],
      ['empty', { dtype: 'F32', shape: [0, 4], data: new Uint8Array(0) }],
    ]);
    const { tensors: read, metadata } = readSafetensors(writeSafetensors(tensors, { arch: 'resnet18' }));
    expect(metadata).toEqual({ arch: 'resnet18' });
    expect([...read.keys()].sort()).toEqual([...tensors.keys()].sort());
    for (const [name, tensor] of tensors) {
      const copy = read.get(name)!;
      expect(copy.dtype, name).toBe(tensor.dtype);
      expect(copy.shape, name).toEqual(tensor.shape);
      expect(Array.from(copy.data), name).toEqual(Array.from(tensor.data));
    }
  });

  it('reads a file whose header is not padded (the format does not require it)', () => {
    const file = handMade({ x: { dtype: 'U8', shape: [3], data_offsets: [0, 3] } }, new Uint8Array([4, 5, 6]));
    expect(Array.from(readSafetensors(file).tensors.get('x')!.data)).toEqual([4, 5, 6]);
  });

  const valid = { dtype: 'F32', shape: [2], data_offsets: [0, 8] };
  it.each([
    ['a file shorter than its length field', new Uint8Array(5), 'starts with an 8-byte header length; got 5 bytes'],
    [
      'a header length past the end of the file',
      handMade({ x: valid }, new Uint8Array(8), 4096),
      'The header length 4096 exceeds the file',
    ],
    ['a header that is not JSON', handMade({}, new TextEncoder().encode('}'), 3), 'The header is not valid UTF-8 JSON'],
    ['a header that is an array', handMade([1], new Uint8Array(0)), 'The header must be a JSON object'],
    [
      'an unknown dtype',
      handMade({ x: { ...valid, dtype: 'F128' } }, new Uint8Array(8)),
      `Tensor 'x' has dtype "F128"; known: F64, F32`,
    ],
    [
      'a negative size',
      handMade({ x: { ...valid, shape: [-2] } }, new Uint8Array(8)),
      `Tensor 'x' has shape [-2]; expected non-negative integers.`,
    ],
    [
      'offsets past the data',
      handMade({ x: { ...valid, data_offsets: [0, 16] } }, new Uint8Array(8)),
      `Tensor 'x' has data_offsets [0,16]; expected [begin, end] within the 8 bytes of data.`,
    ],
    [
      'a span that does not fit the shape',
      handMade({ x: { ...valid, shape: [3] } }, new Uint8Array(8)),
      `Tensor 'x' (F32 [3]) needs 12 bytes but its data_offsets span 8.`,
    ],
    [
      'a gap between tensors',
      handMade({ x: valid, y: { ...valid, data_offsets: [12, 20] } }, new Uint8Array(20)),
      `Tensor 'y' starts at byte 12 of the data, expected 8: tensors overlap or leave a gap.`,
    ],
    [
      'overlapping tensors',
      handMade({ x: valid, y: { ...valid, data_offsets: [4, 12] } }, new Uint8Array(12)),
      `Tensor 'y' starts at byte 4 of the data, expected 8`,
    ],
    [
      'trailing bytes',
      handMade({ x: valid }, new Uint8Array(12)),
      'The tensors cover 8 bytes of data but the file holds 12.',
    ],
    [
      'metadata that is not strings',
      handMade({ __metadata__: { epochs: 3 }, x: valid }, new Uint8Array(8)),
      "'__metadata__.epochs' must be a string, got 3.",
    ],
  ])('refuses %s', (_, file, message) => {
    expect(() => readSafetensors(file)).toThrow(SafetensorsFormatError);
    expect(() => readSafetensors(file)).toThrow(message);
  });
});
