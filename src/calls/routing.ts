import { NIL_UUID, ValidationError } from '../shared/index.ts';
import { isoTime } from './call.ts';
import type { RouteAttempt } from './call.ts';
import type { Provider, Route } from './ports.ts';

/** The target of a route that carries every destination. */
export const ALL_TARGET = 'all';

/** A route and the provider it sends calls to, in the order they are tried. */
export interface RouteCandidate {
  route: Route;
  provider: Provider;
}

/** The longest route target (`+<country code>`) among `routes` that prefixes the E.164 `number`, if any. */
export function longestTargetMatch(number: string, routes: readonly Route[]): string | undefined {
  let best: string | undefined;
  for (const r of routes) {
    if (r.target === ALL_TARGET || !r.target.startsWith('+') || !number.startsWith(r.target)) continue;
    if (best === undefined || r.target.length > best.length) best = r.target;
  }
  return best;
}

function byPriorityThenAge(a: Route, b: Route): number {
  return a.priority - b.priority || Date.parse(a.tm_create) - Date.parse(b.tm_create);
}

/** One owner's routes in two groups: the country-code group (longest match), then the `all` group. */
function ownerGroups(number: string, owned: readonly Route[]): Route[] {
  const target = longestTargetMatch(number, owned);
  const country = target === undefined ? [] : owned.filter((r) => r.target === target).sort(byPriorityThenAge);
  const all = owned.filter((r) => r.target === ALL_TARGET).sort(byPriorityThenAge);
  return [...country, ...all];
}

/**
 * The routes to try for `number` (docs/calls.md "Route failover"): the customer's country-code routes, the
 * customer's `all` routes, then the platform defaults (nil customer) in the same two groups; inside a
 * group by priority ascending then `tm_create`; each provider once; routes whose provider is unknown
 * are left out.
 */
export function orderRoutes(
  customerId: string,
  number: string,
  routes: readonly Route[],
  providers: readonly Provider[],
): RouteCandidate[] {
  const providerById = new Map(providers.map((p) => [p.id, p]));
  const ordered = [
    ...ownerGroups(
      number,
      routes.filter((r) => r.customer_id === customerId && customerId !== NIL_UUID),
    ),
    ...ownerGroups(
      number,
      routes.filter((r) => r.customer_id === NIL_UUID),
    ),
  ];
  const seen = new Set<string>();
  const candidates: RouteCandidate[] = [];
  for (const route of ordered) {
    const provider = providerById.get(route.provider_id);
    if (!provider || seen.has(provider.id)) continue;
    seen.add(provider.id);
    candidates.push({ route, provider });
  }
  return candidates;
}

/** Throws 400 `ROUTE_NOT_FOUND` on `field` when no route carries the destination. */
export function requireRoutes(candidates: readonly RouteCandidate[], number: string, field: string): void {
  if (candidates.length === 0) {
    throw ValidationError.field(
      field,
      'ROUTE_NOT_FOUND',
      `no route carries ${number}: add a route for its country code or an "all" route`,
    );
  }
}

/** The next healthy route from `fromIndex`, and the skipped unhealthy ones recorded as attempts. */
export interface NextRoute {
  /** The route to try, absent when none is left. */
  candidate?: RouteCandidate;
  /** Index after the returned candidate (or the end). */
  nextIndex: number;
  /** One `unhealthy` attempt per provider skipped on the way. */
  skipped: RouteAttempt[];
}

/** Walks `candidates` from `fromIndex`, skipping providers `isHealthy` rejects and recording each skip. */
export function takeNextRoute(
  candidates: readonly RouteCandidate[],
  fromIndex: number,
  isHealthy: (providerId: string) => boolean,
  nowMs: number,
): NextRoute {
  const skipped: RouteAttempt[] = [];
  const now = isoTime(nowMs);
  for (let i = fromIndex; i < candidates.length; i++) {
    const candidate = candidates[i];
    if (!candidate) continue;
    if (isHealthy(candidate.provider.id)) return { candidate, nextIndex: i + 1, skipped };
    skipped.push({
      route_id: candidate.route.id,
      provider_id: candidate.provider.id,
      sip_status: 0,
      reason: 'unhealthy',
      tm_start: now,
      tm_end: now,
    });
  }
  return { nextIndex: candidates.length, skipped };
}
