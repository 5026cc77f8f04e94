import { describe, expect, it } from 'vitest';
import { throughputRange } from '../../../packages/trainer/bench/throughput-range.js';
import { formatEvaluateReport } from './evaluate-bench-report.js';

// Forward passes of 100 images in 0.5, 0.5 and 0.4 s: 200, 200 and 250 images/s, median 200, so 1,000 images take 5 s.
const FORWARD = throughputRange(100, [0.5, 0.5, 0.4]);
const HEADER = [
  '1000 images, batch 100',
  '                                                                             wall s             images/s  x forward  server s  server images/s  beyond forward s',
  '---------------------------------------------------------------------------  ------  -------------------  ---------  --------  ---------------  ----------------',
];

describe('formatEvaluateReport', () => {
  it('puts each evaluation beside the forward rate and names the fastest one that read the cache', () => {
    const report = formatEvaluateReport({
      images: 1000,
      batchSize: 100,
      forward: FORWARD,
      evaluations: [
        { wallSeconds: 10, serverSeconds: 8 },
        { wallSeconds: 6.25, serverSeconds: 5 },
        { wallSeconds: 12.5, serverSeconds: 10 },
      ],
    });
    expect(report).toBe(
      [
        ...HEADER,
        'evaluateCheckpoint #1 (decodes the images)                                    10.00                100.0      0.50x      8.00            125.0              5.00',
        'evaluateCheckpoint #2 (decoded-image cache)                                    6.25                160.0      0.80x      5.00            200.0              1.25',
        'evaluateCheckpoint #3 (decoded-image cache)                                   12.50                 80.0      0.40x     10.00            100.0              7.50',
        'forward passes alone (InferenceModel, batch 100, random data, this process)    5.00  200.0 (200.0-250.0)      1.00x         -                -                 -',
        '',
        'Fastest evaluation after the first (#2): 160.0 images/s end to end, 0.80x the forward rate (200.0 images/s, ' +
          "median of 3 passes); 1.25 s beyond the forward passes' own time.",
      ].join('\n'),
    );
  });

  it('names the only evaluation when there is one', () => {
    const report = formatEvaluateReport({
      images: 1000,
      batchSize: 100,
      forward: throughputRange(100, [0.5]),
      evaluations: [{ wallSeconds: 10, serverSeconds: 8 }],
    });
    expect(report.split('\n').at(-1)).toBe(
      'Fastest evaluation (#1): 100.0 images/s end to end, 0.50x the forward rate (200.0 images/s, median of 1 ' +
        "pass); 5.00 s beyond the forward passes' own time.",
    );
  });

  it('refuses no evaluations', () => {
    expect(() => formatEvaluateReport({ images: 1000, batchSize: 100, forward: FORWARD, evaluations: [] })).toThrow(
      new RangeError('Expected at least one evaluation, got none.'),
    );
  });
});
