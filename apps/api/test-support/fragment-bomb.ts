// The fragment bomb of issue 12: fragments that each spread the previous one twice, so that `levels` levels expand
// to 2^levels copies of F0. At 24 levels it is under 1 KB, and a check that expands fragments at each spread never
// finishes.

/** `query Bomb { ...F<levels> }` and its fragments; F0 selects `selection` on Query. */
export function fragmentBomb(levels: number, selection = 'system { version }'): string {
  const fragments = [`fragment F0 on Query { ${selection} }`];
  for (let level = 1; level <= levels; level++) {
    fragments.push(`fragment F${level} on Query { ...F${level - 1} ...F${level - 1} }`);
  }
  return [`query Bomb { ...F${levels} }`, ...fragments].join('\n');
}
