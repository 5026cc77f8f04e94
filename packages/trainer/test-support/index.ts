// Test helpers of @resnet-lab/trainer, for its own tests and cross-package ones (`@resnet-lab/trainer/test-support`).
// Outside src/, so production code cannot import them (ESLint refuses it too).
export {
  BLOCKED_CONV_CASES,
  CONV_CASES,
  TOLERANCE,
  ceilRoundedFilterGradient,
  convOutputAndGradients,
  describeConvCase,
  leakedByRepeatedConvolutions,
  uniformValues,
  valuesOn,
  type ConvCase,
  type Padding,
} from './convolution-cases.js';
export { relativeDifference } from './relative-difference.js';
export { writeImageFolder, type ImageFolderSpec } from './image-folder.js';
export { writeFakeNativePackage, type FakeNativePackageOptions } from './fake-native-package.js';
