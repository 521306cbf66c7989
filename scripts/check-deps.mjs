#!/usr/bin/env node
// Dependency-direction check for src/: exits 1 and lists every forbidden import.
// Usage: node scripts/check-deps.mjs [srcDir]
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname, sep } from 'node:path';

const srcDir = resolve(process.argv[2] ?? 'src');

const PROTOCOL = new Set(['sip', 'sdp', 'media']);
// The SIP-free media side of a call leg: a protocol-tier module above media/ and sdp/.
const ENDPOINT = 'endpoint';
const ENDPOINT_IMPORTS = new Set(['media', 'sdp', 'shared']);
const DOMAIN_ORDER = ['flows', 'conferences', 'calls', 'recordings'];
const OUTER = new Set(['api', 'events', 'store', 'telephony']);
// The bus between nodes (NATS or in-process): a protocol layer, it carries strings.
const BUS = 'bus';
// Cluster wiring (docs/cluster.md): an outer-ring module only the composition root imports.
const CLUSTER = 'cluster';
// The composition root: main.ts and the files it splits its wiring into.
const ROOT = new Set([
  'main.ts',
  'call-stack.ts',
  'call-stack-media.ts',
  'call-stack-flows.ts',
  'call-stack-signaling.ts',
]);

/** Returns a reason string when `from` may not import `to`, else undefined. */
function forbidden(from, to) {
  if (from === to) return undefined;
  if (ROOT.has(from) || from === 'cli') return undefined;
  if (ROOT.has(to) || to === 'cli') return 'only the CLI imports the composition root';
  if (to === 'telephony') return 'telephony/ holds the adapters that main.ts wires; nothing else imports it';
  if (to === CLUSTER) return 'cluster/ holds the cluster wiring that main.ts uses; nothing else imports it';
  if (from === CLUSTER && (to === 'api' || to === 'telephony'))
    return `cluster/ never imports ${to}/ (the composition root hands it what it needs)`;
  if (from === BUS) return to === 'shared' ? undefined : 'bus/ is a protocol layer and imports only shared/';
  if (from === ENDPOINT)
    return ENDPOINT_IMPORTS.has(to) ? undefined : 'endpoint/ is a protocol tier and imports only media/, sdp/, shared/';
  if (to === ENDPOINT && from !== 'telephony')
    return 'endpoint/ is imported only by telephony/ and the composition root';
  if (from === 'shared') return 'shared/ imports nothing of the product';
  if (from === 'timeline') return to === 'shared' ? undefined : 'timeline/ is a contract and imports only shared/';
  // The flow simulator (docs/testing-your-flows.md "Simulator"): the flow engine on simulated ports.
  if (from === 'simulator')
    return ['flows', 'calls', 'shared'].includes(to) ? undefined : 'simulator/ imports only flows/, calls/ and shared/';
  if (to === 'simulator' && from !== 'api') return 'simulator/ is imported only by api/ and the CLI';
  if (from === 'config') return to === 'shared' ? undefined : 'config/ imports only shared/';
  if (PROTOCOL.has(from)) return to === 'shared' ? undefined : `${from}/ is a protocol layer and imports only shared/`;
  const di = DOMAIN_ORDER.indexOf(from);
  if (di >= 0) {
    if (OUTER.has(to)) return `domain module ${from}/ never imports ${to}/ (declare a port instead)`;
    const ti = DOMAIN_ORDER.indexOf(to);
    if (ti >= 0 && ti < di) return `domain direction is ${DOMAIN_ORDER.join(' → ')}: ${from}/ may not import ${to}/`;
    return undefined;
  }
  if (from === 'api' && PROTOCOL.has(to)) return `api/ reaches the domain through services and never imports ${to}/`;
  if (from === 'telephony' && to === 'api') return 'telephony/ adapters never import the HTTP API';
  // The outer ring's direction is api → events → store.
  if (from === 'store' && (to === 'events' || to === 'api'))
    return `store/ never imports ${to}/ (direction api → events → store)`;
  if (from === 'events' && to === 'api') return 'events/ never imports api/ (direction api → events → store)';
  return undefined;
}

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

const IMPORT_RE =
  /^\s*(?:import|export)\s[^'";]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s*['"]([^'"]+)['"]/gm;

/** True when `file` lies inside a `testing/` folder (test support, imported only by tests and other test support). */
function inTesting(file) {
  return relative(srcDir, file).split(sep).slice(0, -1).includes('testing');
}

function moduleOf(file) {
  const rel = relative(srcDir, file).split(sep);
  return rel.length === 1 ? rel[0] : rel[0];
}

const problems = [];
for (const file of walk(srcDir)) {
  const text = readFileSync(file, 'utf8');
  const from = moduleOf(file);
  const isTest = file.endsWith('.test.ts');
  for (const m of text.matchAll(IMPORT_RE)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (!spec?.startsWith('.')) continue;
    const target = resolve(dirname(file), spec);
    if (!target.startsWith(srcDir + sep)) continue;
    const to = moduleOf(target);
    // Tests may reach across layers to wire real collaborators; production code may not.
    const reason = isTest ? undefined : forbidden(from, to);
    if (reason) problems.push(`${relative(process.cwd(), file)}: imports '${spec}' — ${reason}`);
    if (!isTest && !inTesting(file) && inTesting(target)) {
      problems.push(
        `${relative(process.cwd(), file)}: imports '${spec}' — only tests and other testing/ files import a testing/ folder`,
      );
    }
    const targetRel = relative(join(srcDir, to), target).split(sep).join('/');
    if (!isTest && from !== to && !ROOT.has(to) && targetRel !== 'index.ts' && targetRel !== '') {
      problems.push(
        `${relative(process.cwd(), file)}: imports '${spec}' — other modules are imported only through their index.ts`,
      );
    }
  }
}

if (problems.length > 0) {
  console.error(`dependency check: ${problems.length} forbidden import(s)`);
  for (const p of problems) console.error('  ' + p);
  process.exit(1);
}
console.log('dependency check: ok');
