import type { FastifyRequest } from 'fastify';

/** Fastify's per-route object (lib/context.js), as far as this file reads it. */
interface RouteContext {
  readonly config?: unknown;
}

// The description of the symbol under which Fastify keeps a request's route context
// (lib/symbols.js `kRouteContext`). A plain Symbol(), not Symbol.for(): it is found on a request.
const CONTEXT_DESCRIPTION = 'fastify.context';

/**
 * A request's route config, the object `request.routeOptions.config` returns.
 * That getter builds a new ~12-field object on every call (and looks up the
 * `version` constraint strategy for it), thrown away at once: 585 instructions
 * per request on Fastify 5 (bench/results/http-instructions.md, 2026-12-03
 * 20:26). The same `config` is the route context's, which the request holds
 * under Fastify's `kRouteContext` symbol: read there, it is two loads. The
 * symbol is searched for once, on the first request, and kept only if its
 * context's `config` is the very object `routeOptions` returned; otherwise (a
 * Fastify without it) every request goes through `routeOptions`, as before,
 * after one `getOwnPropertySymbols` in all. One reader per registration: each
 * Fastify copy in a process has its own symbol.
 *
 * @example
 * const configs = new FastifyRouteConfig();
 * configs.of(request); // === request.routeOptions.config
 */
export class FastifyRouteConfig {
  private key: symbol | undefined = undefined;
  private searched = false;

  /** `request.routeOptions.config`, read from the route context once its symbol is known. */
  of(request: FastifyRequest): unknown {
    const key = this.key;
    if (key !== undefined) return (request as unknown as Record<symbol, RouteContext>)[key]?.config;
    return this.search(request);
  }

  private search(request: FastifyRequest): unknown {
    const config = request.routeOptions.config as unknown;
    // Fastify 5 gives every route, and the 404 handler, an object: the identity check below needs one.
    if (!this.searched && typeof config === 'object' && config !== null) {
      this.searched = true;
      this.key = contextKeyOf(request, config);
    }
    return config;
  }
}

/**
 * The own symbol of `request` that holds its route context: the one named
 * `fastify.context` whose value's `config` is `config`, the request's
 * `routeOptions.config`. `undefined` if there is none.
 */
function contextKeyOf(request: FastifyRequest, config: object): symbol | undefined {
  for (const symbol of Object.getOwnPropertySymbols(request)) {
    if (symbol.description !== CONTEXT_DESCRIPTION) continue;
    const context = (request as unknown as Record<symbol, RouteContext | undefined>)[symbol];
    if (typeof context === 'object' && context !== null && context.config === config) return symbol;
  }
  return undefined;
}
