// `resnet-lab doctor`'s findings: the compute backends, the machine's CPU and GPUs, Node and npm against the
// project's engines, and the database the API would use.
import * as os from 'node:os';
import semver from 'semver';
import type { BackendSelector } from '../backend/compute-backend.js';
import { listGpus, type GpuList } from '../backend/list-gpus.js';
import { apiDatabase, type ApiDatabase } from './api-database.js';
import { diagnoseBackends, type BackendDiagnosis, type BackendKind } from './diagnose-backends.js';
import { npmVersion, type NpmVersion } from './npm-version.js';
import { projectEngines } from './project-engines.js';

export interface DoctorReport {
  /** Fastest first, as `--backend auto` tries them. */
  readonly backends: readonly BackendDiagnosis[];
  /** The backend that `--backend auto` picks; null where none loads. */
  readonly auto: BackendKind | null;
  readonly machine: {
    readonly cpu: { readonly model: string; readonly cores: number };
    readonly gpus: GpuList;
  };
  readonly node: VersionCheck & { readonly version: string };
  readonly npm: NpmVersion & Omit<VersionCheck, 'version'>;
  readonly database: ApiDatabase;
}

interface VersionCheck {
  /** The range of the root package.json's `engines`; null where it gives none. */
  readonly required: string | null;
  /** Whether the version is in `required`; null where either is unknown. */
  readonly supported: boolean | null;
}

export interface DiagnoseOptions {
  /** Where DATABASE_URL, DATA_DIR and npm's user agent are read (default process.env). */
  readonly env?: NodeJS.ProcessEnv;
  /** What a relative DATA_DIR is relative to, as for the API (default the current directory). */
  readonly cwd?: string;
  readonly selector?: BackendSelector;
}

export async function diagnose(options: DiagnoseOptions = {}): Promise<DoctorReport> {
  const env = options.env ?? process.env;
  const backends = await diagnoseBackends(options.selector);
  const engines = projectEngines();
  const npm = await npmVersion(env);
  const cpus = os.cpus();
  return {
    backends,
    auto: backends.find((backend) => backend.auto)?.kind ?? null,
    machine: {
      cpu: { model: cpus[0]?.model.trim() ?? 'unknown', cores: os.availableParallelism() },
      gpus: await listGpus(),
    },
    node: { version: process.version, ...checkVersion(process.version, engines?.node ?? null) },
    npm: { ...npm, ...checkVersion(npm.version, engines?.npm ?? null) },
    database: apiDatabase(env, options.cwd),
  };
}

/** Whether `version` is in the `engines` range `required`. */
export function checkVersion(version: string | null, required: string | null): VersionCheck {
  // A range semver cannot read (a typo in package.json) leaves the answer unknown rather than "unsupported".
  if (version === null || required === null || semver.validRange(required) === null)
    return { required, supported: null };
  return { required, supported: semver.satisfies(version, required) };
}
