import { Command, InvalidArgumentError, Option } from 'commander';
import { ServeConfigError } from '../service/errors.js';
import { type ServeOptions, startService } from '../service/service.js';

/** `--grpc-port`, `--http-port`: 0 asks the operating system for a free port (printed at start). */
function parsePort(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || value > 65535)
    throw new InvalidArgumentError('expected a port from 0 to 65535 (0: any free port)');
  return value;
}

/** `--redis-cluster`: `host:port` pairs, comma-separated. */
function parseNodes(text: string): string {
  const nodes = text.split(',').map((n) => n.trim());
  if (nodes.some((n) => !/^[^\s,]+:\d{1,5}$/.test(n))) {
    throw new InvalidArgumentError('expected host:port pairs separated by commas, e.g. 10.0.0.1:7000,10.0.0.2:7000');
  }
  return nodes.join(',');
}

const MORE_HELP = `
Configuration (--config): envoyproxy/ratelimit's YAML, one domain per file; a
directory loads every *.yaml and *.yml in it. Files are watched: a valid change
applies to the next request, an invalid one is logged and counted
(flowgate_serve_config_load_errors_total) and the running configuration stays.
Besides upstream's keys, a rate_limit may set algorithm (fixed-window, the
default, sliding-window, sliding-log, token-bucket, leaky-bucket) and burst
(the capacity of token-bucket and leaky-bucket; default requests_per_unit).

  domain: edge
  descriptors:
    - key: remote_address
      rate_limit: { unit: minute, requests_per_unit: 60, algorithm: token-bucket, burst: 10 }

Endpoints:
  gRPC  envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit (--grpc-port)
  HTTP  POST /json   the same request and response in proto3 JSON (200, or 429 when over)
        GET /healthcheck, GET /metrics (Prometheus), GET /rlconfig  (--http-port)

SIGTERM and SIGINT stop accepting, let in-flight calls finish, close the store and exit 0.

Examples:
  $ flowgate serve --config ratelimit.yaml
  $ flowgate serve --config config/ --redis redis://127.0.0.1:6379 --grpc-port 8081 --http-port 8080
  $ flowgate serve --config config/ --redis-cluster 10.0.0.1:7000,10.0.0.2:7000
`;

/**
 * The `serve` command: the Envoy Rate Limit Service v3 (gRPC) and an HTTP API
 * over flowgate's limiters.
 *
 * @example
 * program.addCommand(serveCommand());
 */
export function serveCommand(): Command {
  return new Command('serve')
    .description('run the Envoy Rate Limit Service (gRPC) and an HTTP API, on memory or Redis')
    .requiredOption(
      '--config <file|dir>',
      'rate limit configuration: a YAML file, or a directory of them (one domain each)',
    )
    .addOption(new Option('--grpc-port <port>', 'gRPC port (plaintext HTTP/2)').default(8081).argParser(parsePort))
    .addOption(
      new Option('--http-port <port>', 'HTTP port (/json, /healthcheck, /metrics, /rlconfig)')
        .default(8080)
        .argParser(parsePort),
    )
    .option('--host <address>', 'address to listen on (both ports)', '127.0.0.1')
    .addOption(
      new Option(
        '--redis <url>',
        'share limits through Redis, e.g. redis://127.0.0.1:6379 (default: memory)',
      ).conflicts('redisCluster'),
    )
    .addOption(
      new Option('--redis-cluster <host:port,...>', 'share limits through a Redis Cluster (seed nodes)').argParser(
        parseNodes,
      ),
    )
    .addOption(
      new Option(
        '--on-store-error <policy>',
        'when the store fails: allow (fail open), deny (OVER_LIMIT), error (gRPC UNAVAILABLE, HTTP 503)',
      )
        .choices(['allow', 'deny', 'error'])
        .default('allow'),
    )
    .addOption(
      new Option(
        '--test-clock <file>',
        'FOR TESTS ONLY: read the time (ms since the epoch) from this file at every decision',
      ),
    )
    .addHelpText('after', MORE_HELP)
    .action(async (flags: ServeOptions) => {
      const logger = {
        info: (line: string) => process.stdout.write(`${line}\n`),
        warn: (line: string) => process.stderr.write(`${line}\n`),
        error: (line: string) => process.stderr.write(`${line}\n`),
      };
      let running: Awaited<ReturnType<typeof startService>>;
      try {
        running = await startService(flags, logger);
      } catch (error) {
        const message = error instanceof ServeConfigError ? error.message : `cannot start: ${(error as Error).message}`;
        process.stderr.write(`flowgate serve: ${message}\n`);
        process.exit(1);
      }
      let stopping = false;
      const stop = (signal: string): void => {
        if (stopping) return;
        stopping = true;
        logger.info(`flowgate serve: ${signal}: draining`);
        running.drain().then(
          () => {
            logger.info('flowgate serve: stopped');
            process.exit(0);
          },
          (error: unknown) => {
            logger.error(`flowgate serve: error while draining: ${String(error)}`);
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    });
}
