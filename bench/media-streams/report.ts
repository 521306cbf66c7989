/** The media streams benchmark's printed table (docs/benchmarks.md "Media streams"). */
import type { LatencyFigures } from './latency.ts';
import type { ScenarioFigures, StreamFigures, StreamsBenchResult } from './run.ts';

const n = (v: number, digits = 1): string => (Number.isFinite(v) ? v.toFixed(digits) : '—');
const lat = (l: LatencyFigures): string => `${n(l.p50Ms, 2)} / ${n(l.p99Ms, 2)}`;

function row(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}

function scenarioRow(s: ScenarioFigures, stream?: StreamFigures): string {
  return row([
    s.scenario === 'echo' ? '`echo` (baseline)' : '`external_media_start` + echo bot',
    `${s.established}/${s.calls}${s.failed > 0 ? ` (${s.failed} failed)` : ''}`,
    n(s.serverCpuPct),
    n(s.cpuMsPerCallSecond, 3),
    stream ? lat(stream.toBot) : '—',
    stream ? lat(stream.fromBot) : '—',
    lat(s.roundTrip),
    stream
      ? `${stream.inboundMissing} / ${stream.echoedMissing} (${n(stream.inboundLossPct, 3)} / ${n(stream.echoedLossPct, 3)} %)`
      : `— / ${s.framesSent - s.framesBack} (${n(s.roundTripLossPct, 3)} %)`,
    stream ? String(stream.droppedOutbound) : '—',
    `${n(s.loadCpuPct)} (core ${n(s.loadCoreBusyPct)})`,
  ]);
}

/** The result as lines of text: a header, the table and the checks of what the bot saw. */
export function formatStreamsResult(r: StreamsBenchResult): string[] {
  const s = r.stream;
  return [
    `cores=${r.cores} pinned=${r.pinned ? 'callbin core 0, callers + bot + sipp core 1' : 'no'} calls=${r.calls} seconds=${r.seconds} window_s=${n(s.windowSec)}`,
    row([
      'scenario',
      'calls up',
      'server CPU, % of a core',
      'CPU ms per call-second',
      'caller → bot p50 / p99 ms',
      'bot → caller p50 / p99 ms',
      'round trip p50 / p99 ms',
      'missing: at the bot / back at the caller',
      'dropped outbound',
      'load CPU %',
    ]),
    row(Array.from({ length: 10 }, () => '---')),
    scenarioRow(r.echo),
    scenarioRow(s, s),
    `stream CPU per call / echo CPU per call = ${n(r.cpuRatio, 2)}×; frames in the window: ${s.framesSent} sent, ${s.framesBack} back (echo: ${r.echo.framesSent} / ${r.echo.framesBack})`,
    `callers' own send lag ≤ ${n(r.echo.maxSendLagMs)} ms (echo) / ${n(s.maxSendLagMs)} ms (stream)`,
    ...[r.echo, s].filter((x) => x.error).map((x) => `${x.scenario}: sipp says\n${x.error}`),
    `streams started ${s.streamsStarted}, stop reasons ${JSON.stringify(s.stopReasons)}, close codes ${JSON.stringify(s.closeCodes)}, signatures ${JSON.stringify(s.signatures)}, protocol anomalies ${s.anomalies}${s.firstAnomaly ? ` (first: ${s.firstAnomaly})` : ''}`,
  ];
}
