// How a new ResNet's weights are drawn: PyTorch's own defaults (the seed's) or torchvision's ResNet scheme.
import * as tf from '@tensorflow/tfjs';
import type { ResNetStem } from './resnet-config.js';

/**
 * `pytorch-default`: what nn.Conv2d and nn.Linear draw when nothing re-initializes them, as in the seed's `Resnet`:
 * kaiming_uniform_ with a = sqrt(5), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
 * `torchvision`: torchvision's ResNet re-initializes convolutions with kaiming_normal_(mode='fan_out',
 * nonlinearity='relu'), i.e. N(0, 2/fan_out), and keeps nn.Linear's default.
 * Both start batch norm at weight 1, bias 0.
 */
export type ResNetInit = 'pytorch-default' | 'torchvision';

export const RESNET_INITS: readonly ResNetInit[] = ['pytorch-default', 'torchvision'];

/** The seed's initialization for its CIFAR network; torchvision's for the ImageNet one, where its models come from. */
export function defaultInit(stem: ResNetStem): ResNetInit {
  return stem === 'cifar' ? 'pytorch-default' : 'torchvision';
}

export function parseResNetInit(value: string): ResNetInit {
  if ((RESNET_INITS as readonly string[]).includes(value)) return value as ResNetInit;
  throw new Error(`Unknown initialization '${value}'. Allowed: ${RESNET_INITS.join(', ')}.`);
}

/** tfjs-layers does not export its Initializer class by name. */
type Initializer = ReturnType<typeof tf.initializers.zeros>;

/** The bound of PyTorch's default U(-bound, bound) for a layer with `fanIn` inputs per output (weights and bias). */
export function pytorchDefaultBound(fanIn: number): number {
  return 1 / Math.sqrt(fanIn);
}

/** The standard deviation of kaiming_normal_(mode='fan_out', nonlinearity='relu'). */
export function kaimingNormalFanOutStd(fanOut: number): number {
  return Math.sqrt(2 / fanOut);
}

/**
 * Initializers for one model, each layer with its own seed derived from the model seed, so that equal shapes do not
 * get equal weights and the same seed builds the same weights.
 */
export class ResNetInitializers {
  private next = 0;

  constructor(
    readonly scheme: ResNetInit,
    private readonly seed: number | undefined,
  ) {}

  /** A bias-free convolution's kernel; fans count channels times kernel area, as PyTorch's. */
  conv(kernelSize: number, inChannels: number, outChannels: number): Initializer {
    const area = kernelSize * kernelSize;
    if (this.scheme === 'torchvision') {
      return tf.initializers.randomNormal({
        mean: 0,
        stddev: kaimingNormalFanOutStd(outChannels * area),
        seed: this.nextSeed(),
      });
    }
    return this.uniform(pytorchDefaultBound(inChannels * area));
  }

  /** nn.Linear's default for both schemes (torchvision does not re-initialize its classifier). */
  linear(inFeatures: number): Initializer {
    return this.uniform(pytorchDefaultBound(inFeatures));
  }

  private uniform(bound: number): Initializer {
    return tf.initializers.randomUniform({ minval: -bound, maxval: bound, seed: this.nextSeed() });
  }

  private nextSeed(): number | undefined {
    this.next += 1;
    return this.seed === undefined ? undefined : this.seed * 10_007 + this.next;
  }
}
