import type { DigestStats, RegisterResult } from '../../sip/index.ts';
import type { TransportStats } from '../../sip/index.ts';

/** The counters a running SIP server exposes, flat for `/metrics`. */
export interface SipServerStats {
  transport: TransportStats;
  transactions: { client: number; server: number };
  register: Record<RegisterResult, number>;
  digest: DigestStats;
}

/** Flatten SIP stats to `name → value` (`messages_received`, `register_ok`, …). */
export function flattenSipStats(s: SipServerStats): Record<string, number> {
  const flat: Record<string, number> = {
    messages_received: s.transport.received,
    messages_sent: s.transport.sent,
    malformed: s.transport.malformed,
    send_errors: s.transport.sendErrors,
    connections: s.transport.connections,
    connections_refused_total: s.transport.refusedTotal,
    connections_refused_per_source: s.transport.refusedPerSource,
    connections_closed_idle: s.transport.closedIdle,
    connections_closed_deadline: s.transport.closedDeadline,
    client_transactions: s.transactions.client,
    server_transactions: s.transactions.server,
  };
  for (const [result, n] of Object.entries(s.register)) flat[`register_${result}`] = n;
  for (const [result, n] of Object.entries(s.digest)) flat[`digest_${result}`] = n;
  return flat;
}

function metric(
  name: string,
  type: 'counter' | 'gauge',
  help: string,
  samples: [labels: string, value: number][],
): string {
  const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`];
  for (const [labels, value] of samples) lines.push(`${name}${labels} ${value}`);
  return lines.join('\n') + '\n';
}

/** SIP counters in the Prometheus text exposition format, appended to the API's `/metrics`. */
export function sipMetricsText(s: SipServerStats): string {
  return [
    metric('callbin_sip_messages_received_total', 'counter', 'SIP messages received (malformed included)', [
      ['', s.transport.received],
    ]),
    metric('callbin_sip_messages_sent_total', 'counter', 'SIP messages sent', [['', s.transport.sent]]),
    metric('callbin_sip_malformed_total', 'counter', 'SIP messages that could not be parsed or framed', [
      ['', s.transport.malformed],
    ]),
    metric('callbin_sip_send_errors_total', 'counter', 'SIP sends that failed', [['', s.transport.sendErrors]]),
    metric('callbin_sip_connections', 'gauge', 'open SIP stream connections (TCP, TLS, WS)', [
      ['', s.transport.connections],
    ]),
    metric(
      'callbin_sip_connections_refused_total',
      'counter',
      'inbound SIP stream connections closed at once by a cap',
      [
        ['{cap="total"}', s.transport.refusedTotal],
        ['{cap="per_source"}', s.transport.refusedPerSource],
      ],
    ),
    metric(
      'callbin_sip_connections_timed_out_total',
      'counter',
      'SIP stream connections closed by the idle timeout or the message deadline',
      [
        ['{reason="idle"}', s.transport.closedIdle],
        ['{reason="deadline"}', s.transport.closedDeadline],
      ],
    ),
    metric('callbin_sip_transactions', 'gauge', 'live SIP transactions', [
      ['{kind="client"}', s.transactions.client],
      ['{kind="server"}', s.transactions.server],
    ]),
    metric(
      'callbin_sip_register_total',
      'counter',
      'REGISTER requests by result',
      Object.entries(s.register).map(([result, n]): [string, number] => [`{result="${result}"}`, n]),
    ),
    metric(
      'callbin_sip_digest_evaluated_total',
      'counter',
      'SIP digest responses checked against a stored HA1 (any method)',
      [['', s.digest.evaluated]],
    ),
    metric(
      'callbin_sip_digest_total',
      'counter',
      'SIP digest attempts by outcome (blocked: refused over budget without a check)',
      Object.entries(s.digest)
        .filter(([result]) => result !== 'evaluated')
        .map(([result, n]): [string, number] => [`{result="${result}"}`, n]),
    ),
  ].join('');
}
