// The one line that `--backend auto` prints when an installed native package could not run: which, why, what runs
// instead and the command that fixes it. A package that is not installed is a choice, and says nothing.
import type { BackendInfo } from './compute-backend.js';
import { GPU_PACKAGE, type TensorflowPackageAttempt } from './load-tensorflow.js';

/** The line (without a newline), or null where every native package loaded or is absent. */
export function nativeLibraryNotice(attempts: readonly TensorflowPackageAttempt[], active: BackendInfo): string | null {
  const troubled = attempts.filter(({ outcome }) => outcome === 'no-native-library' || outcome === 'failed');
  if (troubled.length === 0) return null;
  const rebuild = troubled.filter(({ outcome }) => outcome === 'no-native-library').map((attempt) => attempt.package);
  const running = active.name === 'tensorflow' ? `tensorflow (${active.package})` : active.name;
  return `${problems(troubled)}: running on ${running}.${rebuild.length > 0 ? ` ${rebuildAdvice(rebuild)}` : ' resnet-lab doctor says more.'}`;
}

function problems(troubled: readonly TensorflowPackageAttempt[]): string {
  const [first, second] = troubled;
  if (
    second !== undefined &&
    troubled.every(({ outcome }) => outcome === 'no-native-library') &&
    first!.detail === second.detail
  ) {
    return `${first!.package} and ${second.package} are installed without their native library (${first!.detail})`;
  }
  return troubled
    .map(({ package: name, outcome, detail }) =>
      outcome === 'no-native-library'
        ? `${name} is installed without its native library (${detail})`
        : `${name} did not load (${detail})`,
    )
    .join('; ');
}

/** npm 12 runs a dependency's install script only where the root package.json's allowScripts allows it. */
function rebuildAdvice(packages: readonly string[]): string {
  const target = packages.includes(GPU_PACKAGE) ? 'the GPU' : 'libtensorflow';
  const command = `npm rebuild ${packages.join(' ')}`;
  return packages.length === 1
    ? `To use ${target}, run its install script: ${command} (it downloads libtensorflow; package.json's allowScripts lets it run).`
    : `To use ${target}, run their install scripts: ${command} (they download libtensorflow; package.json's allowScripts lets them run).`;
}
