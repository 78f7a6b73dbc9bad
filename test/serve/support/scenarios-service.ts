import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { fileURLToPath } from 'node:url';
import { RlsClient } from './grpc-client.js';
import { type Service, startService } from './service.js';

/** Upstream's scenarios, the configuration most service tests replay. */
export const SCENARIOS_CONFIG = fileURLToPath(new URL('../fixtures/scenarios.yaml', import.meta.url));

export interface RunningService {
  readonly service: Service;
  readonly client: RlsClient;
}

/**
 * Starts `flowgate serve` on the scenarios configuration before the file's
 * tests, with a gRPC client that shares no code with the service, and stops
 * both after them (the process must exit 0). Read `service` and `client`
 * inside tests: they exist once `before` has run.
 */
export function serveScenariosForFile(): RunningService {
  let service: Service | undefined;
  let client: RlsClient | undefined;
  before(async () => {
    service = await startService(['--config', SCENARIOS_CONFIG]);
    client = new RlsClient(service.grpcPort);
  });
  after(async () => {
    client?.close();
    assert.equal(await service?.stop(), 0);
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the service is started in before(): read it inside a test');
    return value;
  };
  return {
    get service() {
      return started(service);
    },
    get client() {
      return started(client);
    },
  };
}
