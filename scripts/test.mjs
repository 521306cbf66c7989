#!/usr/bin/env node
// The whole test suite: dependency and import-cycle checks, format and lint check (Biome, configured
// in biome.json), type check, then every *.test.ts under src/ and test/ with node's test runner.
// Extra arguments narrow the run to those files or folders and skip the whole-tree checks.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

function collect(path, out) {
  if (statSync(path).isDirectory()) {
    for (const name of readdirSync(path).sort())
      if (name !== 'node_modules' && name !== 'fixtures') collect(join(path, name), out);
  } else if (path.endsWith('.test.ts')) out.push(path);
  return out;
}

const targets = process.argv.slice(2);
const files = [];
for (const t of targets.length > 0 ? targets : ['src', 'test']) collect(t, files);

if (targets.length === 0) {
  run(process.execPath, ['scripts/check-deps.mjs']);
  run(process.execPath, ['scripts/check-cycles.mjs']);
  run(process.execPath, ['node_modules/@biomejs/biome/bin/biome', 'ci', '--error-on-warnings', '.']);
  run(process.execPath, ['node_modules/typescript/bin/tsc', '--noEmit', '-p', '.']);
}
const concurrency = process.env.TEST_CONCURRENCY ?? '2';
run(process.execPath, [
  '--import',
  'tsx',
  '--test',
  '--test-reporter=spec',
  `--test-concurrency=${concurrency}`,
  '--test-timeout=180000',
  ...files,
]);
