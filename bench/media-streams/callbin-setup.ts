/** What the media streams benchmark sets up in callbin, and how it reads sipp's failures. */
import type { CallbinServer } from '../calls/callbin-server.ts';

/** The numbers the two scenarios dial. */
export const NUMBERS = { echo: '+15550000021', stream: '+15550000022' } as const;

/** The lines of sipp's output that say why calls failed (the end of its output otherwise). */
export function sippErrors(output: string): string {
  const lines = output.split('\n').filter((l) => /error|unexpected|abort|timeout|refused|failed|503/i.test(l));
  return (lines.length > 0 ? [...new Set(lines.map((l) => l.trim()))].slice(-8).join('\n') : output).slice(-800);
}

/**
 * The callers' address as a trusted provider, and one number per scenario: `echo` (the baseline)
 * and `stream` (`external_media_start` to the bot on `botPort`, the query signed with the rest).
 */
export async function configure(
  server: CallbinServer,
  callerPort: number,
  botPort: number,
  seconds: number,
): Promise<void> {
  await server.api('POST', '/providers', {
    hostname: '127.0.0.1',
    port: callerPort,
    transport: 'udp',
    name: 'bench callers',
  });
  const flows = {
    echo: [{ type: 'answer' }, { type: 'echo', option: { duration: (seconds + 60) * 1000 } }],
    stream: [
      { type: 'answer' },
      {
        type: 'external_media_start',
        option: {
          external_host: `ws://127.0.0.1:${botPort}/bench?token=t`,
          format: 'ulaw',
          direction_listen: 'both',
          direction_speak: 'in',
          data: JSON.stringify({ bench: 'media-streams' }),
          sync: true,
        },
      },
    ],
  };
  for (const kind of ['echo', 'stream'] as const) {
    const flow = await server.api('POST', '/flows', { name: `bench streams ${kind}`, actions: flows[kind] });
    await server.api('POST', '/numbers', { number: NUMBERS[kind], call_flow_id: flow.id });
  }
}
