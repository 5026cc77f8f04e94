// Shared by the gradient and resume tests: how far apart two float arrays are, relative to the expected one.

/** ‖actual - expected‖ / ‖expected‖, in double precision. Throws on a length mismatch. */
export function relativeDifference(actual: Float32Array, expected: Float32Array): number {
  if (actual.length !== expected.length) {
    throw new Error(`Expected arrays of equal length, got ${actual.length} and ${expected.length}.`);
  }
  let difference = 0;
  let norm = 0;
  for (let index = 0; index < expected.length; index++) {
    difference += (actual[index]! - expected[index]!) ** 2;
    norm += expected[index]! ** 2;
  }
  return Math.sqrt(difference) / Math.sqrt(norm);
}
