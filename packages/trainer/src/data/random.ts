// Seeded pseudo-random numbers, so that shuffling and augmentation repeat exactly for a given seed and epoch.

/** mulberry32: a small, fast 32-bit generator; returns floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Combines a seed with stream identifiers (epoch, purpose) into an independent seed. */
export function deriveSeed(seed: number, ...streams: number[]): number {
  let hash = (seed ^ 0x9e3779b9) >>> 0;
  for (const stream of streams) {
    hash = Math.imul(hash ^ (stream >>> 0), 0x85ebca6b) >>> 0;
    hash = (hash ^ (hash >>> 13)) >>> 0;
    hash = Math.imul(hash, 0xc2b2ae35) >>> 0;
    hash = (hash ^ (hash >>> 16)) >>> 0;
  }
  return hash;
}

/** Fisher-Yates shuffle of 0 ... count-1. */
export function shuffledIndices(count: number, random: () => number): Int32Array {
  const indices = new Int32Array(count);
  for (let index = 0; index < count; index++) indices[index] = index;
  for (let index = count - 1; index > 0; index--) {
    const other = Math.floor(random() * (index + 1));
    const swap = indices[index]!;
    indices[index] = indices[other]!;
    indices[other] = swap;
  }
  return indices;
}
