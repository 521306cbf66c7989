import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { verifyWebhook } from '../events/index.ts';
import type { HeaderBag } from '../events/index.ts';

interface VerifyOptions {
  secret: string;
  bodyFile: string;
  timestamp?: string;
  signature: string;
  tolerance: string;
  now?: string;
}

/** The headers a receiver would have seen for a `v1=` or `sha256=` signature. */
function headersFor(opts: VerifyOptions): HeaderBag {
  if (opts.signature.startsWith('sha256=')) return { 'x-voipbin-signature': opts.signature };
  return { 'x-callbin-signature': opts.signature, 'x-callbin-timestamp': opts.timestamp };
}

/** `callbin webhook verify`: check a received webhook's signature (exit 0 valid, 1 invalid). */
export function webhookCommands(program: Command, fail: (err: unknown) => never): void {
  const webhook = program.command('webhook').description('webhook helpers');
  webhook
    .command('verify')
    .description('verify the signature of a received webhook body; exits 0 when valid, 1 otherwise')
    .requiredOption('--secret <secret>', "the customer's webhook_secret")
    .requiredOption('--body-file <path>', 'file holding the raw request body exactly as received')
    .requiredOption('--signature <value>', 'X-Callbin-Signature (v1=…) or X-VoIPBIN-Signature (sha256=…)')
    .option('--timestamp <sec>', 'X-Callbin-Timestamp (needed for v1=)')
    .option('--tolerance <sec>', 'accepted age of the timestamp in seconds', '300')
    .option('--now <sec>', 'unix time to check the timestamp against (default: now)')
    .action((opts: VerifyOptions) => {
      try {
        const result = verifyWebhook({
          secret: opts.secret,
          body: readFileSync(opts.bodyFile, 'utf8'),
          headers: headersFor(opts),
          toleranceSec: Number(opts.tolerance),
          ...(opts.now !== undefined ? { nowSec: Number(opts.now) } : {}),
        });
        if (result.ok) {
          console.log(`valid (${result.scheme})`);
          return;
        }
        console.error(`invalid: ${result.reason}`);
        process.exitCode = 1;
      } catch (err) {
        fail(err);
      }
    });
}
