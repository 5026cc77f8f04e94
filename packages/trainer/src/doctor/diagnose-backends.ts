// Every compute backend that `--backend auto` chooses from, tried in this process: whether it loads, what it computes
// on, why not where it does not, and what to install or run so that it does.
import * as tf from '@tensorflow/tfjs';
import { missingBuildNeeds } from '../../native/build-needs.js';
import {
  BACKEND_NAMES,
  processBackendSelector,
  type BackendActivation,
  type BackendName,
  type BackendSelector,
} from '../backend/compute-backend.js';
import { GPU_PACKAGE, type TensorflowPackageAttempt } from '../backend/load-tensorflow.js';
import { ONEDNN_VARIABLE } from '../backend/onednn-kernels.js';

export type BackendKind = 'native GPU' | 'native CPU' | 'wasm' | 'cpu';

export interface BackendDiagnosis {
  readonly kind: BackendKind;
  /** The name that `--backend` takes. */
  readonly backend: BackendName;
  readonly package: string;
  /** The installed version; null where the package is not installed. */
  readonly version: string | null;
  readonly loads: boolean;
  /** What it computes on, as training reports it (`CPU (wasm, 2 threads, SIMD)`); null where it does not load. */
  readonly device: string | null;
  /** Why it does not load, or for wasm why its oneDNN kernels do not run; null where nothing is missing. */
  readonly reason: string | null;
  /** What to install or run for that; null where nothing would help or nothing is missing. */
  readonly fix: string | null;
  /** Whether `--backend auto` picks it. */
  readonly auto: boolean;
  /** For wasm where it loads: its threads, SIMD and whether oneDNN computes its convolutions. */
  readonly wasm?: WasmDetails;
}

export interface WasmDetails {
  readonly threads: number;
  readonly simd: boolean;
  readonly oneDnn:
    { readonly active: true; readonly version: string } | { readonly active: false; readonly reason: string };
}

/** libtensorflow 2.9.1, which tfjs-node-gpu 4.22 downloads, is built against these. */
const CUDA = 'CUDA 11.2 and cuDNN 8.1';
const ONEDNN_BUILD = 'apt-get install g++ libdnnl-dev && npm run build:native';

/** Tries each backend, so it activates them in turn: the last one tried (cpu) is active afterwards. */
export async function diagnoseBackends(
  selector: BackendSelector = processBackendSelector(),
): Promise<BackendDiagnosis[]> {
  const attempts = await selector.tensorflowPackages();
  const activations = new Map<BackendName, BackendActivation>();
  for (const name of BACKEND_NAMES) activations.set(name, await selector.tryBackend(name));
  const natives = attempts.map((attempt) => nativeDiagnosis(attempt, activations.get('tensorflow')!));
  const wasm = await wasmDiagnosis(activations.get('wasm')!);
  const cpu = activations.get('cpu')!;
  const all: Diagnosis[] = [
    ...natives,
    wasm,
    {
      kind: 'cpu',
      backend: 'cpu',
      package: '@tensorflow/tfjs-backend-cpu',
      version: tf.version['tfjs-backend-cpu'] ?? null,
      loads: cpu.loaded,
      device: cpu.loaded ? cpu.info.device : null,
      reason: cpu.loaded ? null : cpu.reason,
      fix: null,
    },
  ];
  const picked = all.findIndex((diagnosis) => diagnosis.loads);
  return all.map((diagnosis, index) => ({ ...diagnosis, auto: index === picked }));
}

type Diagnosis = Omit<BackendDiagnosis, 'auto'>;

function nativeDiagnosis(attempt: TensorflowPackageAttempt, activation: BackendActivation): Diagnosis {
  const { package: name, outcome, version, detail } = attempt;
  const gpu = name === GPU_PACKAGE;
  const common = { kind: gpu ? 'native GPU' : 'native CPU', backend: 'tensorflow', package: name, version } as const;
  switch (outcome) {
    case 'loaded':
      return activation.loaded
        ? { ...common, loads: true, device: activation.info.device, reason: null, fix: null }
        : { ...common, loads: false, device: null, reason: activation.reason, fix: null };
    case 'absent':
      return {
        ...common,
        loads: false,
        device: null,
        reason: `${name} is not installed`,
        fix:
          `npm install with internet access, on ${gpu ? `Linux x86_64 with an NVIDIA driver, ${CUDA}` : 'Linux x86_64, macOS or Windows'} ` +
          `(its install script downloads libtensorflow; npm leaves the optional package out where that fails)`,
      };
    case 'no-native-library':
      return {
        ...common,
        loads: false,
        device: null,
        reason: `${name} is installed without its native library (${detail})`,
        fix: `npm rebuild ${name}, with internet access (its install script downloads libtensorflow; package.json's allowScripts lets it run)`,
      };
    case 'failed':
      return {
        ...common,
        loads: false,
        device: null,
        reason: `${name} did not load (${detail})`,
        fix: gpu && /cuda|cudnn|libcu/i.test(detail) ? `install ${CUDA}, which its libtensorflow needs` : null,
      };
    case 'not-tried':
      return {
        ...common,
        loads: false,
        device: null,
        reason: `not loaded: ${detail}, and a process loads only one libtensorflow`,
        fix: null,
      };
  }
}

async function wasmDiagnosis(activation: BackendActivation): Promise<Diagnosis> {
  const { version_wasm: version, getThreadsCount } = await import('@tensorflow/tfjs-backend-wasm');
  const common = { kind: 'wasm', backend: 'wasm', package: '@tensorflow/tfjs-backend-wasm', version } as const;
  if (!activation.loaded) return { ...common, loads: false, device: null, reason: activation.reason, fix: null };
  const oneDnn = activation.oneDnn ?? { active: false, reason: 'not tried' };
  const wasm: WasmDetails = {
    threads: getThreadsCount(),
    simd: (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true,
    oneDnn: oneDnn.active ? { active: true, version: oneDnn.version } : { active: false, reason: oneDnn.reason },
  };
  if (oneDnn.active) return { ...common, loads: true, device: activation.info.device, reason: null, fix: null, wasm };
  const missing = missingBuildNeeds();
  const disabled = oneDnn.reason === `${ONEDNN_VARIABLE}=0`;
  return {
    ...common,
    loads: true,
    device: activation.info.device,
    // What the build lacks says more than "not built".
    reason: `no oneDNN kernels: ${disabled || missing.length === 0 ? oneDnn.reason : missing.join('; ')}`,
    fix: disabled ? `unset ${ONEDNN_VARIABLE}` : missing.length > 0 ? ONEDNN_BUILD : 'npm run build:native',
    wasm,
  };
}
