import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ServeRequestError } from './errors.js';
import { requestFromJson, responseToJson } from './json.js';
import type { RlsRequest, RlsResponse } from './rls.js';

/** A body larger than this is refused: a RateLimitRequest is a few hundred bytes. */
const MAX_BODY_BYTES = 1 << 20;

/** What the HTTP server asks of the service. */
export interface HttpHandler {
  decide(request: RlsRequest): Promise<RlsResponse>;
  observed(code: string, seconds: number): void;
  healthy(): boolean;
  metrics(): Promise<{ contentType: string; body: string }>;
  rlconfig(): string;
}

function problem(res: ServerResponse, status: number, title: string, detail: string, type = 'about:blank'): void {
  res.writeHead(status, { 'content-type': 'application/problem+json' });
  res.end(JSON.stringify({ type, title, status, detail }));
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        resolve(undefined);
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

async function json(handler: HttpHandler, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const started = performance.now();
  const done = (code: string): void => handler.observed(code, (performance.now() - started) / 1000);
  const text = await readBody(req);
  if (text === undefined) {
    done('INVALID_ARGUMENT');
    return problem(res, 413, 'Request body too large', `a RateLimitRequest is at most ${MAX_BODY_BYTES} bytes`);
  }
  let request: RlsRequest;
  try {
    request = requestFromJson(JSON.parse(text));
  } catch (error) {
    done('INVALID_ARGUMENT');
    const detail = error instanceof SyntaxError ? `body: not JSON (${error.message})` : (error as Error).message;
    return problem(res, 400, 'Invalid RateLimitRequest', detail);
  }
  let response: RlsResponse;
  try {
    response = await handler.decide(request);
  } catch (error) {
    if (error instanceof ServeRequestError) {
      done('INVALID_ARGUMENT');
      return problem(res, 400, 'Invalid RateLimitRequest', error.message);
    }
    done('UNAVAILABLE');
    return problem(res, 503, 'Rate limit store unavailable', (error as Error).message);
  }
  done(response.overallCode);
  res.writeHead(response.overallCode === 'OVER_LIMIT' ? 429 : 200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(responseToJson(response)));
}

async function route(handler: HttpHandler, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  const routes: Record<string, string> = {
    '/json': 'POST',
    '/healthcheck': 'GET',
    '/metrics': 'GET',
    '/rlconfig': 'GET',
  };
  const method = path === undefined ? undefined : routes[path];
  if (method === undefined)
    return problem(
      res,
      404,
      'Not found',
      'the endpoints are POST /json, GET /healthcheck, GET /metrics, GET /rlconfig',
    );
  if (req.method !== method && !(method === 'GET' && req.method === 'HEAD')) {
    res.setHeader('allow', method);
    return problem(res, 405, 'Method not allowed', `${path} takes ${method}`);
  }
  if (path === '/json') return json(handler, req, res);
  if (path === '/healthcheck') {
    // Fails while draining, so that a load balancer stops sending first.
    const ok = handler.healthy();
    res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' });
    res.end(ok ? 'OK\n' : 'draining\n');
    return;
  }
  if (path === '/metrics') {
    const { contentType, body } = await handler.metrics();
    res.writeHead(200, { 'content-type': contentType });
    res.end(body);
    return;
  }
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(handler.rlconfig());
}

/** The HTTP API: `POST /json`, `GET /healthcheck`, `GET /metrics`, `GET /rlconfig`. */
export async function startHttp(
  handler: HttpHandler,
  host: string,
  port: number,
): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    route(handler, req, res).catch((error: unknown) => {
      if (!res.headersSent) problem(res, 500, 'Internal error', String(error));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}
