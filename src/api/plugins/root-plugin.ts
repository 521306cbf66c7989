import type { FastifyInstance, FastifyPluginAsync } from 'fastify';

/**
 * A fastify plugin that is not encapsulated (the `skip-override` mark `fastify-plugin` sets): its
 * hooks, handlers, parsers and routes belong to the server itself, so each of `buildServer`'s
 * plugins shapes every request as if its lines were written in `buildServer`.
 */
export function rootPlugin(name: string, register: (app: FastifyInstance) => Promise<void> | void): FastifyPluginAsync {
  const plugin: FastifyPluginAsync = async (app) => {
    await register(app);
  };
  return Object.assign(plugin, { [Symbol.for('skip-override')]: true, [Symbol.for('fastify.display-name')]: name });
}
