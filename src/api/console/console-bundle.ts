import { fileURLToPath } from 'node:url';
import { AppError } from '../../shared/index.ts';

// The console's browser code is plain ES modules in `client/` that import the chart (uPlot) and
// editor (CodeMirror) packages; esbuild (the bundler tsx already runs on) joins them into one script
// and one style sheet the first time they are asked for, kept in memory for the life of the process,
// so nothing is built by hand after `npm ci` and nothing is written to disk (docs/console.md "Serving").

/** The console's script and style sheet. */
export interface ConsoleBundle {
  js: Buffer;
  css: Buffer;
}

let bundle: Promise<ConsoleBundle> | undefined;

/** The bundle; built once, then cached (a failed build is tried again on the next request). */
export function consoleBundle(): Promise<ConsoleBundle> {
  bundle ??= build().catch((err: unknown) => {
    bundle = undefined;
    throw err;
  });
  return bundle;
}

async function build(): Promise<ConsoleBundle> {
  const entry = fileURLToPath(new URL('./client/main.js', import.meta.url));
  const { build: esbuild } = await import('esbuild');
  const out = await esbuild({
    entryPoints: [entry],
    absWorkingDir: fileURLToPath(new URL('.', import.meta.url)),
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    minify: true,
    legalComments: 'inline',
    outdir: 'out',
    entryNames: 'console',
    write: false,
    logLevel: 'silent',
  });
  const js = out.outputFiles.find((f) => f.path.endsWith('.js'));
  const css = out.outputFiles.find((f) => f.path.endsWith('.css'));
  if (!js || !css) throw new AppError('INTERNAL', 'esbuild produced no console bundle');
  return { js: Buffer.from(js.contents), css: Buffer.from(css.contents) };
}
