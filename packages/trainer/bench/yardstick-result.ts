// One training run of the yardstick, by either tool, and the settings every run of a benchmark shares.

export const YARDSTICK_TOOLS = ['resnet-lab', 'pytorch'] as const;
export type YardstickTool = (typeof YARDSTICK_TOOLS)[number];

/** What both tools are given; the rest of the recipe is the seed's (batch 128, lr 0.1, momentum 0.9, wd 5e-4). */
export interface YardstickSettings {
  /** Image folder of class subfolders, split by each tool into training and held-out images. */
  readonly data: string;
  /** Filter multiplier of ResNet18, 1 = the seed's 64 filters. */
  readonly width: number;
  /** Share of each class held out (its last files). */
  readonly testFraction: number;
  /** First N images of each class only; null for all. */
  readonly limitPerClass: number | null;
}

export interface YardstickResult {
  readonly tool: YardstickTool;
  readonly seed: number;
  /** Epoch mean of per-batch correct predictions over training images, batch norm in training mode. */
  readonly trainAccuracy: number;
  /** Mean cross-entropy per training image over the epoch. */
  readonly trainLoss: number;
  /** On the held-out images, in inference mode. */
  readonly testAccuracy: number;
  readonly testLoss: number;
  readonly trainImages: number;
  readonly testImages: number;
  /** Wall time of the tool's process: decoding (or reading the decoded cache), training and testing. */
  readonly seconds: number;
  /** Backend and device, or PyTorch version and threads; initialization where reported. */
  readonly detail: string;
}
