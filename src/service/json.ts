import type { Unit } from './config.js';
import { ServeRequestError } from './errors.js';
import type { RlsDescriptor, RlsRequest, RlsResponse } from './rls.js';

const UNITS: Record<string, Unit> = {
  SECOND: 'second',
  MINUTE: 'minute',
  HOUR: 'hour',
  DAY: 'day',
  MONTH: 'month',
  YEAR: 'year',
};
const UNIT_NUMBERS: Record<number, Unit> = { 1: 'second', 2: 'minute', 3: 'hour', 4: 'day', 5: 'month', 6: 'year' };

/** A proto3 JSON field, by its lowerCamel JSON name or its proto name (parsers must accept both). */
function field(object: Record<string, unknown>, camel: string, snake: string): unknown {
  return object[camel] !== undefined ? object[camel] : object[snake];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A proto3 JSON integer: a number or a decimal string, whole and within `max`. */
function integer(value: unknown, path: string, max: number): number {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > max) {
    throw new ServeRequestError(`${path}: found ${JSON.stringify(value)}, expected a whole number from 0 to ${max}`);
  }
  return n;
}

function text(value: unknown, path: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string')
    throw new ServeRequestError(`${path}: found ${JSON.stringify(value)}, expected a string`);
  return value;
}

/**
 * A RateLimitRequest in proto3 JSON (`POST /json`), checked field by field:
 * the error names the field, what was found and what is expected.
 *
 * @example
 * requestFromJson({ domain: 'edge', descriptors: [{ entries: [{ key: 'remote_address', value: '10.0.0.1' }] }] });
 */
export function requestFromJson(body: unknown): RlsRequest {
  if (!isObject(body)) throw new ServeRequestError('body: expected a RateLimitRequest as a JSON object');
  const rawDescriptors = body.descriptors ?? [];
  if (!Array.isArray(rawDescriptors)) throw new ServeRequestError('descriptors: expected a list');
  const hits = field(body, 'hitsAddend', 'hits_addend');
  return {
    domain: text(body.domain, 'domain'),
    hitsAddend: hits === undefined || hits === null ? 0 : integer(hits, 'hitsAddend', 2 ** 32 - 1),
    descriptors: rawDescriptors.map((raw, i): RlsDescriptor => {
      const at = `descriptors[${i}]`;
      if (!isObject(raw)) throw new ServeRequestError(`${at}: expected an object with entries`);
      const entries = raw.entries ?? [];
      if (!Array.isArray(entries)) throw new ServeRequestError(`${at}.entries: expected a list`);
      const perDescriptor = field(raw, 'hitsAddend', 'hits_addend');
      const limit = raw.limit;
      let override: RlsDescriptor['limit'];
      if (limit !== undefined && limit !== null) {
        if (!isObject(limit)) throw new ServeRequestError(`${at}.limit: expected an object`);
        const u = limit.unit;
        const unit = typeof u === 'number' ? UNIT_NUMBERS[u] : UNITS[String(u)];
        if (unit === undefined) {
          throw new ServeRequestError(
            `${at}.limit.unit: found ${JSON.stringify(u)}, expected one of ${Object.keys(UNITS).join(', ')}`,
          );
        }
        override = {
          unit,
          requestsPerUnit: integer(
            field(limit, 'requestsPerUnit', 'requests_per_unit') ?? 0,
            `${at}.limit.requestsPerUnit`,
            2 ** 32 - 1,
          ),
        };
      }
      return {
        entries: entries.map((entry, j) => {
          if (!isObject(entry))
            throw new ServeRequestError(`${at}.entries[${j}]: expected an object with key and value`);
          return {
            key: text(entry.key, `${at}.entries[${j}].key`),
            value: text(entry.value, `${at}.entries[${j}].value`),
          };
        }),
        limit: override,
        hitsAddend:
          perDescriptor === undefined || perDescriptor === null
            ? undefined
            : integer(perDescriptor, `${at}.hitsAddend`, Number.MAX_SAFE_INTEGER),
      };
    }),
  };
}

/** A Duration in proto3 JSON: seconds with up to 9 fractional digits and an `s`. */
function durationJson(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  const rest = ms % 1000;
  return rest === 0 ? `${seconds}s` : `${seconds}.${String(rest).padStart(3, '0')}s`;
}

/**
 * A RateLimitResponse in proto3 JSON: lowerCamel names, enums by name,
 * Durations as strings; fields at their default value are left out, as the
 * canonical encoding does.
 */
export function responseToJson(response: RlsResponse): object {
  const out: Record<string, unknown> = { overallCode: response.overallCode };
  out.statuses = response.statuses.map((s) => {
    const status: Record<string, unknown> = { code: s.code };
    if (s.currentLimit !== undefined) {
      const limit: Record<string, unknown> = { unit: s.currentLimit.unit.toUpperCase() };
      if (s.currentLimit.name !== '') limit.name = s.currentLimit.name;
      if (s.currentLimit.requestsPerUnit !== 0) limit.requestsPerUnit = s.currentLimit.requestsPerUnit;
      status.currentLimit = limit;
    }
    if (s.limitRemaining !== 0) status.limitRemaining = s.limitRemaining;
    if (s.durationUntilResetMs !== undefined) status.durationUntilReset = durationJson(s.durationUntilResetMs);
    return status;
  });
  if (response.responseHeadersToAdd.length > 0) out.responseHeadersToAdd = response.responseHeadersToAdd;
  return out;
}
