/** The logging surface modules depend on (pino-compatible); the concrete logger is chosen in main.ts. */
export interface Logger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

/** A logger that drops everything (default in unit tests). */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
};

/**
 * `parent.child(bindings)`, built on first use: a child logger costs a bindings serialisation, and
 * per-call objects (an activeflow run, a leg) mostly never log.
 */
export function lazyChild(parent: Logger, bindings: Record<string, unknown>): Logger {
  let real: Logger | undefined;
  const get = (): Logger => (real ??= parent.child(bindings));
  return {
    debug: (obj, msg) => (msg === undefined ? get().debug(obj) : get().debug(obj, msg)),
    info: (obj, msg) => (msg === undefined ? get().info(obj) : get().info(obj, msg)),
    warn: (obj, msg) => (msg === undefined ? get().warn(obj) : get().warn(obj, msg)),
    error: (obj, msg) => (msg === undefined ? get().error(obj) : get().error(obj, msg)),
    child: (more) => get().child(more),
  };
}
