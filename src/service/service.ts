import { type FSWatcher, readFileSync, statSync, watch } from 'node:fs';
import type { Server as HttpServer } from 'node:http';
import { basename, dirname } from 'node:path';
import type { Server as GrpcServer } from '@grpc/grpc-js';
import type { StoreErrorPolicy } from '../failure.js';
import type { Logger } from '../limiter-options.js';
import type { ServiceConfig } from './config.js';
import { loadConfig } from './config-files.js';
import { Decider } from './decide.js';
import { startGrpc } from './grpc.js';
import { startHttp } from './http.js';
import { Limiters } from './limiters.js';
import { ServiceMetrics } from './metrics.js';
import { dumpConfig } from './rlconfig.js';
import { openStore, type ServiceStore } from './store.js';

/** `flowgate serve`'s flags, parsed. */
export interface ServeOptions {
  readonly config: string;
  readonly grpcPort: number;
  readonly httpPort: number;
  readonly host: string;
  readonly redis?: string | undefined;
  readonly redisCluster?: string | undefined;
  readonly onStoreError: 'allow' | 'deny' | 'error';
  /** Tests only: a file holding the time in ms since the epoch, read at every decision. */
  readonly testClock?: string | undefined;
}

/** A running service. */
export interface RunningService {
  readonly grpcPort: number;
  readonly httpPort: number;
  /** Stops accepting, lets in-flight calls finish, closes the store. */
  drain(): Promise<void>;
}

/**
 * Starts the service: loads `--config` (refusing to start on an invalid
 * one), opens the store, serves gRPC and HTTP, and watches the configuration:
 * a valid change applies to the next request; an invalid one is logged,
 * counted in `flowgate_serve_config_load_errors_total`, and the
 * configuration in force stays.
 */
export async function startService(
  options: ServeOptions,
  logger: Logger & { info(line: string): void },
): Promise<RunningService> {
  const config = loadConfig(options.config);
  const metrics = new ServiceMetrics();
  metrics.configLoads.inc();
  const opened: ServiceStore = openStore(options.redis, options.redisCluster);
  const clock = options.testClock === undefined ? undefined : fileClock(options.testClock);
  const onStoreError: StoreErrorPolicy = options.onStoreError === 'error' ? 'throw' : options.onStoreError;
  const context = { store: opened.store, onStoreError, logger, clock };
  const now = clock ?? Date.now;
  let decider = new Decider(config, new Limiters(context, config), metrics, now);
  let draining = false;

  const reload = (): void => {
    let next: ServiceConfig;
    try {
      next = loadConfig(options.config);
    } catch (error) {
      metrics.configErrors.inc();
      logger.error(
        `flowgate serve: configuration not reloaded, the previous one stays in force: ${(error as Error).message}`,
      );
      return;
    }
    decider = new Decider(next, new Limiters(context, next), metrics, now);
    metrics.configLoads.inc();
    logger.info(`flowgate serve: configuration reloaded (${next.domains.size} domains)`);
  };
  const watcher = watchConfig(options.config, reload);

  const decide = (request: Parameters<Decider['shouldRateLimit']>[0]) => decider.shouldRateLimit(request);
  const grpc = await startGrpc(
    { decide, observed: (code, s) => metrics.request('grpc', code, s) },
    options.host,
    options.grpcPort,
  );
  let http: { server: HttpServer; port: number };
  try {
    http = await startHttp(
      {
        decide,
        observed: (code, s) => metrics.request('http', code, s),
        healthy: () => !draining,
        metrics: async () => ({ contentType: metrics.registry.contentType, body: await metrics.registry.metrics() }),
        rlconfig: () => dumpConfig(decider.config),
      },
      options.host,
      options.httpPort,
    );
  } catch (error) {
    grpc.server.forceShutdown();
    throw error;
  }
  logger.info(
    `flowgate serve: grpc ${options.host}:${grpc.port} http ${options.host}:${http.port} store ${opened.description} config ${options.config}`,
  );

  return {
    grpcPort: grpc.port,
    httpPort: http.port,
    async drain(): Promise<void> {
      draining = true;
      watcher?.close();
      await Promise.all([shutdownGrpc(grpc.server), closeHttp(http.server)]);
      await opened.close();
    },
  };
}

function shutdownGrpc(server: GrpcServer): Promise<void> {
  return new Promise((resolve) => server.tryShutdown(() => resolve()));
}

function closeHttp(server: HttpServer): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    // Idle keep-alive connections would hold the server open; busy ones finish their request first.
    server.closeIdleConnections();
  });
}

/**
 * Watches the configuration: the directory itself, or a file's directory
 * (editors and Kubernetes ConfigMaps replace files by renaming, which a
 * watch on the file itself would lose). Changes within 100 ms are one reload.
 */
function watchConfig(path: string, reload: () => void): FSWatcher | undefined {
  const isDirectory = statSync(path).isDirectory();
  const dir = isDirectory ? path : dirname(path);
  const name = isDirectory ? undefined : basename(path);
  let pending: NodeJS.Timeout | undefined;
  try {
    return watch(dir, (_event, file) => {
      if (name !== undefined && file !== null && file !== name && !file.startsWith('..')) return;
      if (pending !== undefined) clearTimeout(pending);
      pending = setTimeout(() => {
        pending = undefined;
        reload();
      }, 100);
    });
  } catch {
    return undefined;
  }
}

/** `--test-clock <file>`: the time is whatever the test last wrote there. */
function fileClock(file: string): () => number {
  return () => {
    const ms = Number(readFileSync(file, 'utf8').trim());
    if (!Number.isFinite(ms)) throw new Error(`--test-clock ${file}: not a number of milliseconds`);
    return ms;
  };
}
