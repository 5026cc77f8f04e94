// Issue 15's goal as a verdict per row: resnet-lab's training throughput at least 1.1x PyTorch's channels_last
// figure, inference at least 1.0x, both on the same CPU and thread count.
import type { PytorchMemoryFormat } from './parse-speed-output.js';

export type SpeedKind = 'training' | 'inference';

export interface VsPytorchTarget {
  /** resnet-lab's median must be at least this multiple of PyTorch's... */
  readonly factor: number;
  /** ...median in this layout. */
  readonly against: PytorchMemoryFormat;
}

export const VS_PYTORCH_TARGETS: Readonly<Record<SpeedKind, VsPytorchTarget>> = {
  training: { factor: 1.1, against: 'channels_last' },
  inference: { factor: 1.0, against: 'channels_last' },
};

export interface VsPytorchVerdict {
  /** The faster PyTorch layout (NCHW on a tie). */
  readonly best: PytorchMemoryFormat;
  /** resnet-lab's median images/s over the faster PyTorch layout's. */
  readonly ratioToBest: number;
  readonly target: VsPytorchTarget;
  /** resnet-lab's median images/s over that of the target's layout. */
  readonly ratioToTarget: number;
  readonly met: boolean;
}

/** Compares median images/s of one row (a kind of step at one batch size). */
export function vsPytorchVerdict(
  kind: SpeedKind,
  resnetLab: number,
  pytorch: Readonly<Record<PytorchMemoryFormat, number>>,
): VsPytorchVerdict {
  const best: PytorchMemoryFormat = pytorch.channels_last > pytorch.nchw ? 'channels_last' : 'nchw';
  const target = VS_PYTORCH_TARGETS[kind];
  const ratioToTarget = resnetLab / pytorch[target.against];
  // Rounding error must not fail a ratio that prints as the target (83.6 / 76 = 1.0999999999999999).
  const met = ratioToTarget >= target.factor - 1e-9;
  return { best, ratioToBest: resnetLab / pytorch[best], target, ratioToTarget, met };
}
