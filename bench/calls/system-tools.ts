import { spawnSync } from 'node:child_process';

/** The Debian package that brings each binary the call benchmarks drive. */
export const BINARY_PACKAGES: Readonly<Record<string, string>> = {
  sipp: 'sip-tester',
  kamailio: 'kamailio',
  // The `rtpengine` metapackage also pulls the kernel module (dkms, headers, a compiler); the
  // benchmarks run rtpengine in userspace only, which the daemon package alone provides.
  rtpengine: 'rtpengine-daemon',
  taskset: 'util-linux',
};

/** Whether `name` is an executable on PATH. */
export function hasBinary(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

/** The binaries of `names` that are not on PATH. */
export function missingBinaries(names: readonly string[]): string[] {
  return names.filter((n) => !hasBinary(n));
}

/** The install command for the packages that bring `binaries`. */
export function installCommand(binaries: readonly string[]): string {
  const packages = [...new Set(binaries.map((b) => BINARY_PACKAGES[b] ?? b))];
  return `apt-get install -y --no-install-recommends ${packages.join(' ')}`;
}

/**
 * Makes sure `names` are installed: installs the missing ones with apt-get when running as root and
 * `install` is set, otherwise throws an Error naming the command to run.
 */
export function requireBinaries(names: readonly string[], options: { install: boolean }): void {
  let missing = missingBinaries(names);
  if (missing.length === 0) return;
  if (options.install && process.getuid?.() === 0) {
    console.log(`installing ${missing.join(', ')}: ${installCommand(missing)}`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    spawnSync('apt-get', ['update', '-q'], { stdio: 'inherit', env });
    spawnSync('sh', ['-c', installCommand(missing)], { stdio: 'inherit', env });
    missing = missingBinaries(names);
    if (missing.length === 0) return;
  }
  throw new Error(`missing ${missing.join(', ')}; install them as root with: ${installCommand(missing)}`);
}
