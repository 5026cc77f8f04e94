// What an installed @tensorflow/tfjs-node(-gpu) needs on disk before its JavaScript can load: the N-API addon that its
// install script downloads or builds, where node-pre-gyp's `binary` field of its package.json puts it
// (https://github.com/mapbox/node-pre-gyp#readme: module_path, module_name, napi_versions). Without the addon,
// importing the package registers its kernels and then throws, so the addon is looked for first.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ResolvePackage } from './resolve-package.js';

export type NativePackage =
  | { readonly name: string; readonly installed: false }
  | {
      readonly name: string;
      readonly installed: true;
      readonly directory: string;
      readonly version: string;
      /**
       * The addon that the package's JavaScript loads, relative to `directory` (`lib/napi-v8/tfjs_binding.node`);
       * null where its package.json does not say, and then only loading the package tells.
       */
      readonly binding: string | null;
      /** Whether `binding` exists; true where `binding` is null. */
      readonly bindingBuilt: boolean;
    };

/** `napiVersion`: the Node-API version of the Node that will load the addon. */
export function inspectNativePackage(
  name: string,
  resolvePackage: ResolvePackage,
  napiVersion = Number(process.versions.napi),
): NativePackage {
  const directory = resolvePackage(name);
  if (directory === null) return { name, installed: false };
  const manifest = JSON.parse(fs.readFileSync(path.join(directory, 'package.json'), 'utf8')) as unknown;
  const binding = bindingPath(manifest, napiVersion);
  return {
    name,
    installed: true,
    directory,
    version: text(field(manifest, 'version')) ?? 'unknown',
    binding,
    bindingBuilt: binding === null || fs.existsSync(path.join(directory, binding)),
  };
}

/** node-pre-gyp's module path: `{napi_build_version}` is the highest of `napi_versions` that this Node supports. */
function bindingPath(manifest: unknown, napiVersion: number): string | null {
  const binary = field(manifest, 'binary');
  const modulePath = field(binary, 'module_path');
  const moduleName = field(binary, 'module_name');
  const napiVersions = field(binary, 'napi_versions');
  if (typeof modulePath !== 'string' || typeof moduleName !== 'string') return null;
  const usable = Array.isArray(napiVersions)
    ? napiVersions.filter((version): version is number => typeof version === 'number' && version <= napiVersion)
    : [];
  const expanded = usable.length > 0 ? modulePath.replace('{napi_build_version}', String(Math.max(...usable))) : '';
  // Another placeholder, or no usable Node-API version: node-pre-gyp explains that better when the package loads.
  if (expanded === '' || expanded.includes('{')) return null;
  return path.posix.join(expanded, `${moduleName}.node`);
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}
