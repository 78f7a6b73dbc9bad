import { FlowgateArgumentError, show } from './errors.js';
import { boundKey } from './key-bound.js';

/**
 * The store keys of a request, one per limit, from what the caller passed:
 * one non-empty string for every limit, or (a limiter with `limits`) an
 * object with one per limit by name. Anything else is an error that names
 * what was wrong and what is expected.
 */
export class RequestKeys {
  /** The keys of a one-limit request, reused: stores read keys only during the call. */
  private readonly oneKey: string[] = [''];
  private readonly single: boolean;

  constructor(
    private readonly names: readonly string[],
    private readonly isSet: boolean,
  ) {
    this.single = names.length === 1;
  }

  of(keys: unknown): readonly string[] | Error {
    // One key for one limit, every request's case, in a call small enough to be inlined.
    if (typeof keys === 'string' && keys.length > 0 && this.single) {
      this.oneKey[0] = boundKey(keys);
      return this.oneKey;
    }
    return this.other(keys);
  }

  private other(keys: unknown): readonly string[] | Error {
    const { names } = this;
    if (typeof keys === 'string' && keys.length > 0) {
      const key = boundKey(keys);
      if (names.length === 1) {
        this.oneKey[0] = key;
        return this.oneKey;
      }
      return names.map(() => key);
    }
    if (this.isSet && typeof keys === 'object' && keys !== null && !Array.isArray(keys)) {
      const record = keys as Record<string, unknown>;
      const out: string[] = [];
      for (const name of names) {
        const key = record[name];
        if (typeof key !== 'string' || key.length === 0) return keyError(`keys.${name}`, key, 'a non-empty string');
        out.push(boundKey(key));
      }
      for (const name of Object.keys(record)) {
        if (!names.includes(name)) {
          return keyError(`keys.${name}`, record[name], `no such limit; the limits are ${names.join(', ')}`);
        }
      }
      return out;
    }
    const expected = this.isSet
      ? `a non-empty string, or an object with a non-empty string for each limit (${names.join(', ')})`
      : 'a non-empty string';
    return keyError(this.isSet ? 'keys' : 'key', keys, expected);
  }
}

function keyError(option: string, received: unknown, expected: string): FlowgateArgumentError {
  return new FlowgateArgumentError('FG_KEY_INVALID', `${option}: received ${show(received)}, expected ${expected}`);
}
