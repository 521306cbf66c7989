import type { Logger } from '../../shared/index.ts';

/**
 * The logger of an incoming leg, made before its call exists: every line carries `leg_id`, and
 * `call_id` from the moment `callId()` knows it (docs/architecture.md "Logs"). The child with both
 * ids is built once, on the first line after that.
 */
export function incomingLegLogger(parent: Logger, legId: string, callId: () => string): Logger {
  let early: Logger | undefined;
  let bound: Logger | undefined;
  const get = (): Logger => {
    if (bound) return bound;
    const id = callId();
    if (id !== '') return (bound = parent.child({ call_id: id, leg_id: legId }));
    early ??= parent.child({ leg_id: legId });
    return early;
  };
  return {
    debug: (obj, msg) => (msg === undefined ? get().debug(obj) : get().debug(obj, msg)),
    info: (obj, msg) => (msg === undefined ? get().info(obj) : get().info(obj, msg)),
    warn: (obj, msg) => (msg === undefined ? get().warn(obj) : get().warn(obj, msg)),
    error: (obj, msg) => (msg === undefined ? get().error(obj) : get().error(obj, msg)),
    child: (more) => get().child(more),
  };
}
