import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { AppError } from '../../shared/index.ts';

// The JsSIP package ships CommonJS modules only (its `lib/`, with `debug`, `events` and
// `sdp-transform` as dependencies), no browser file: the softphone page gets one script built
// from them by esbuild (the bundler tsx already runs on) the first time it is asked for, kept in
// memory for the life of the process (docs/webrtc.md "The softphone page").

let bundle: Promise<Buffer> | undefined;

/** JsSIP as one minified browser script defining the global `JsSIP`; built once, then cached. */
export function jssipBundle(): Promise<Buffer> {
  bundle ??= build().catch((err: unknown) => {
    bundle = undefined;
    throw err;
  });
  return bundle;
}

async function build(): Promise<Buffer> {
  const require = createRequire(import.meta.url);
  const entry = require.resolve('jssip');
  const { build: esbuild } = await import('esbuild');
  const out = await esbuild({
    entryPoints: [entry],
    absWorkingDir: dirname(entry),
    bundle: true,
    format: 'iife',
    globalName: 'JsSIP',
    platform: 'browser',
    target: 'es2020',
    minify: true,
    legalComments: 'inline',
    write: false,
    logLevel: 'silent',
  });
  const file = out.outputFiles[0];
  if (!file) throw new AppError('INTERNAL', 'esbuild produced no JsSIP bundle');
  return Buffer.from(file.contents);
}
