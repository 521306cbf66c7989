// Runs every benchmark in turn; each prints callbin's figure beside its same-run baseline.
// Run: npm run bench
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const here = fileURLToPath(new URL('.', import.meta.url));
const scripts = ['sip-parse.ts', 'api.ts', 'mixer.ts', 'rtp-relay.ts', 'webhooks.ts', 'calls.ts', 'cluster.ts'];
let failed = 0;
for (const script of scripts) {
  console.log(`\n== bench/${script}`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(here, script)], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
