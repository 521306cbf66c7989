import { Command } from 'commander';
import { loadConfig } from '../config/index.ts';
import { AppError, ValidationError } from '../shared/index.ts';
import { adminCommands } from './admin.ts';
import { lintCommands } from './lint.ts';
import { simulateCommands } from './simulate.ts';
import { webhookCommands } from './webhook.ts';

function fail(err: unknown): never {
  if (err instanceof ValidationError) {
    console.error(`callbin: invalid configuration or input:`);
    for (const d of err.details) console.error(`  ${d.field}: ${d.message}`);
  } else if (err instanceof AppError) {
    console.error(`callbin: ${err.code}: ${err.message}`);
  } else {
    console.error(`callbin: ${(err as Error).stack ?? String(err)}`);
  }
  process.exit(1);
}

const program = new Command('callbin').description('Self-hostable programmable voice: SIP, RTP, flows and a REST API');

program
  .command('start')
  .description('run the callbin server (API, SIP, media) with the configured store')
  .action(async () => {
    try {
      // Loaded here, not at the top: `callbin lint` and `callbin simulate` start without the whole server.
      const { startCallbin } = await import('../main.ts');
      const handle = await startCallbin(loadConfig());
      // Before the banner: whoever waits for it may signal at once (stdout to a pipe is synchronous).
      // SIGTERM or SIGINT drains the node (docs/security.md "Overload"); a second one cuts the live calls now.
      const drain = () =>
        handle.drain().then(
          () => process.exit(0),
          (err: unknown) => fail(err),
        );
      process.on('SIGINT', () => void drain());
      process.on('SIGTERM', () => void drain());
      const lines = [
        '',
        `  callbin is running`,
        `  API:       ${handle.apiUrl}/v1.0   (docs: ${handle.apiUrl}/docs)`,
        `  SIP:       ${handle.sipAddress}   (UDP and TCP${handle.sip.tlsPort ? `, TLS :${handle.sip.tlsPort}` : ''}${handle.sip.wsPort ? `, WebSocket :${handle.sip.wsPort}` : ''}${handle.sip.wssPort ? `, secure WebSocket :${handle.sip.wssPort}` : ''})`,
        `  data:      ${handle.config.databaseUrl ? 'PostgreSQL' : handle.config.dataDir}`,
      ];
      const wsHost = handle.sip.advertisedHost.includes(':')
        ? `[${handle.sip.advertisedHost}]`
        : handle.sip.advertisedHost;
      const wsUrls = [
        ...(handle.sip.wssPort ? [`wss://${wsHost}:${handle.sip.wssPort}/`] : []),
        ...(handle.sip.wsPort ? [`ws://${wsHost}:${handle.sip.wsPort}/`] : []),
      ];
      if (wsUrls.length > 0)
        lines.splice(4, 0, `  phone:     ${handle.apiUrl}/phone   (SIP over ${wsUrls.join(' and ')})`);
      if (handle.admin) {
        lines.push(`  admin access key (shown once, saved 0600 in ${handle.admin.file}):`);
        lines.push(`             ${handle.admin.accessKey}`);
        lines.push(`  admin login: ${handle.admin.username} / ${handle.admin.password}`);
      } else {
        lines.push(`  admin credentials: see admin-credentials.json in the data directory`);
      }
      lines.push(`  try:       curl -H "Authorization: Bearer <key>" ${handle.apiUrl}/v1.0/customers`, '');
      console.log(lines.join('\n'));
    } catch (err) {
      fail(err);
    }
  });

adminCommands(program, fail);
webhookCommands(program, fail);
lintCommands(program);
simulateCommands(program, fail);

program.parseAsync(process.argv).catch(fail);
