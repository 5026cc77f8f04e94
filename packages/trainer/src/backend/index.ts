// Public API of the backend module: choosing the TensorFlow.js backend and teaching wasm to train.
export {
  BACKEND_CHOICES,
  BACKEND_NAMES,
  BackendUnavailableError,
  UnknownBackendError,
  availableBackends,
  useBackend,
} from './compute-backend.js';
export type { BackendChoice, BackendInfo, BackendName } from './compute-backend.js';
export { WASM_TRAINING_KERNEL_NAMES, registerWasmTrainingKernels } from './wasm-training-kernels.js';
export {
  CONVOLUTION_ALGORITHMS,
  CONVOLUTION_VARIABLE,
  ConvolutionAlgorithmError,
  oneDnnConvolutionImplementation,
} from './onednn-kernels.js';
export type { ConvolutionAlgorithm } from './onednn-kernels.js';
export { MAX_WASM_THREADS, WASM_THREADS_VARIABLE, WasmThreadsError } from './wasm-threads.js';
export { SGD_STEP, hasSgdStepKernel } from './sgd-step-kernel.js';
export type { SgdStepAttrs } from './sgd-step-kernel.js';
export { RELU_GRAD, hasReluGradKernel } from './relu-grad-kernel.js';
