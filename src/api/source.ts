import type { FastifyRequest } from 'fastify';

/** The first four groups (the /64 prefix) of an IPv6 address in any RFC 4291 §2.2 text form. */
function ipv6Prefix64(address: string): string {
  const [head = '', tail] = address.split('::') as [string, string | undefined];
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups =
    tail === undefined
      ? left
      : [...left, ...new Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return (
    groups
      .slice(0, 4)
      .map((g) => g.replace(/^0+(?=.)/, '').toLowerCase())
      .join(':') + '::/64'
  );
}

/**
 * The source a request's failures are counted against: the peer address of the connection (never a
 * forwarded-for header, which the client writes). IPv4-mapped addresses count as IPv4; an IPv6
 * client counts per /64, the smallest block one host is usually given (RFC 4291 §2.5.1).
 */
export function sourceOf(req: FastifyRequest): string {
  const ip = (req.socket?.remoteAddress ?? req.ip ?? '').split('%')[0] ?? '';
  if (!ip.includes(':')) return ip;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return mapped ? (mapped[1] as string) : ipv6Prefix64(ip);
}
