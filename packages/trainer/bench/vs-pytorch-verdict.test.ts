import { describe, expect, it } from 'vitest';
import { vsPytorchVerdict } from './vs-pytorch-verdict.js';

describe('vsPytorchVerdict', () => {
  it('asks training for 1.1x channels_last', () => {
    expect(vsPytorchVerdict('training', 57, { nchw: 62, channels_last: 76 })).toEqual({
      best: 'channels_last',
      ratioToBest: 0.75,
      target: { factor: 1.1, against: 'channels_last' },
      ratioToTarget: 0.75,
      met: false,
    });
    // Exactly 1.1x is met; just below is not.
    expect(vsPytorchVerdict('training', 110, { nchw: 50, channels_last: 100 }).met).toBe(true);
    expect(vsPytorchVerdict('training', 109.9, { nchw: 50, channels_last: 100 }).met).toBe(false);
    // 83.6 / 76 is 1.0999999999999999 in floating point.
    expect(vsPytorchVerdict('training', 83.6, { nchw: 50, channels_last: 76 }).met).toBe(true);
  });

  it('asks inference for 1.0x channels_last, and names the faster layout apart from the target', () => {
    expect(vsPytorchVerdict('inference', 240, { nchw: 300, channels_last: 240 })).toEqual({
      best: 'nchw',
      ratioToBest: 0.8,
      target: { factor: 1, against: 'channels_last' },
      ratioToTarget: 1,
      met: true,
    });
    expect(vsPytorchVerdict('inference', 239, { nchw: 200, channels_last: 240 }).met).toBe(false);
  });
});
