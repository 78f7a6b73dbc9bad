import { FlowgateConfigError } from '../errors.js';
import type { Algorithm } from '../policies/policy.js';
import type { DomainConfig, Level, Node, Rule, RuleLimit, Unit, Wildcard } from './config.js';
import { UNIT_MS } from './config.js';
import { ServeConfigError } from './errors.js';
import { policyOfRule, RULE_ALGORITHMS } from './rule-policy.js';

const ROOT_KEYS = ['domain', 'descriptors'] as const;
const DESCRIPTOR_KEYS = [
  'key',
  'value',
  'rate_limit',
  'descriptors',
  'shadow_mode',
  'detailed_metric',
  'value_to_metric',
  'share_threshold',
  'metadata',
] as const;
const RATE_LIMIT_KEYS = ['unit', 'requests_per_unit', 'unlimited', 'name', 'replaces', 'algorithm', 'burst'] as const;
const UNITS = Object.keys(UNIT_MS) as Unit[];
const MAX_UINT32 = 2 ** 32 - 1;

/** What was found, already in words (not a YAML value to render). */
class Said {
  constructor(readonly text: string) {}
}

/** Renders a YAML value as found, short. */
function found(value: unknown): string {
  if (value instanceof Said) return value.text;
  if (value === undefined) return 'nothing';
  if (value === null) return 'null (an empty value)';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Validates one parsed YAML document (envoyproxy/ratelimit's format, plus
 * flowgate's `algorithm` and `burst` in `rate_limit`) into a domain, or
 * throws a {@link ServeConfigError} naming the file, the path in it, what
 * was found and what is valid. Stricter than upstream where upstream is
 * silent: unknown keys are refused where they are found (not anywhere in the
 * file), and `requests_per_unit` must be written out (upstream reads a
 * missing one as 0, which blocks every request).
 */
export function validateDomain(file: string, document: unknown): DomainConfig {
  const fail = (path: string, value: unknown, valid: string): never => {
    throw new ServeConfigError('FG_SERVE_CONFIG_INVALID', file, path, found(value), valid);
  };
  if (!isMapping(document)) fail('', document, 'a mapping with `domain` and `descriptors`');
  const root = document as Record<string, unknown>;
  unknownKeys(root, '', ROOT_KEYS, fail);
  const domain = root.domain;
  if (typeof domain !== 'string' || domain === '') fail('domain', domain, 'a non-empty string naming the domain');
  const rules: Rule[] = [];
  const level = loadLevel(root.descriptors, 'descriptors', domain as string, rules, fail);
  return { domain: domain as string, file, root: level, rules };
}

type Fail = (path: string, value: unknown, valid: string) => never;

function unknownKeys(map: Record<string, unknown>, path: string, known: readonly string[], fail: Fail): void {
  for (const key of Object.keys(map)) {
    if (known.includes(key)) continue;
    const at = path === '' ? key : `${path}.${key}`;
    if (key === 'quota_mode')
      fail(at, map[key], 'no quota_mode: flowgate serve does not implement quota mode; remove it');
    fail(at, new Said(`key ${JSON.stringify(key)}`), `one of the keys ${known.join(', ')}`);
  }
}

function loadLevel(list: unknown, path: string, parentKey: string, rules: Rule[], fail: Fail): Level {
  const children = new Map<string, Node>();
  const wildcards: Wildcard[] = [];
  if (list === undefined || list === null) return { children, wildcards };
  if (!Array.isArray(list)) fail(path, list, 'a list of descriptors');
  (list as unknown[]).forEach((entry, i) => {
    const at = `${path}[${i}]`;
    if (!isMapping(entry))
      fail(at, entry, 'a descriptor: a mapping with `key` and optionally `value`, `rate_limit`, `descriptors`');
    const d = entry as Record<string, unknown>;
    unknownKeys(d, at, DESCRIPTOR_KEYS, fail);
    if (typeof d.key !== 'string' || d.key === '') fail(`${at}.key`, d.key, 'a non-empty string');
    const key = d.key as string;
    const value = d.value;
    if (value !== undefined && value !== null && typeof value !== 'string' && typeof value !== 'number') {
      fail(`${at}.value`, value, 'a string (or nothing, to match every value of the key)');
    }
    const valueText = value === undefined || value === null ? '' : String(value);
    const finalKey = valueText === '' ? key : `${key}_${valueText}`;
    const fullKey = `${parentKey}.${finalKey}`;
    if (children.has(finalKey)) {
      const first = (children.get(finalKey) as Node).rule.path;
      fail(
        at,
        new Said(`a second descriptor ${JSON.stringify(finalKey)} (the first is ${first})`),
        'each key/value once per level',
      );
    }
    const flags = {
      shadowMode: flag(d, 'shadow_mode', at, fail),
      detailedMetric: flag(d, 'detailed_metric', at, fail),
      shareThreshold: flag(d, 'share_threshold', at, fail),
    };
    flag(d, 'value_to_metric', at, fail);
    if (flags.shareThreshold && !finalKey.includes('*')) {
      fail(`${at}.share_threshold`, true, 'share_threshold only on a value with a `*` wildcard');
    }
    const limit = d.rate_limit === undefined ? undefined : loadLimit(d.rate_limit, `${at}.rate_limit`, fail);
    const rule: Rule = { fullKey, path: at, limit, ...flags };
    rules.push(rule);
    const below = loadLevel(d.descriptors, `${at}.descriptors`, fullKey, rules, fail);
    children.set(finalKey, { rule, ...below });
    if (finalKey.includes('*')) wildcards.push({ finalKey, parts: finalKey.split('*') });
  });
  return { children, wildcards };
}

function flag(d: Record<string, unknown>, key: string, at: string, fail: Fail): boolean {
  const value = d[key];
  if (value === undefined) return false;
  if (typeof value !== 'boolean') fail(`${at}.${key}`, value, 'true or false');
  return value as boolean;
}

function loadLimit(raw: unknown, at: string, fail: Fail): RuleLimit {
  if (!isMapping(raw)) fail(at, raw, 'a mapping with `unit` and `requests_per_unit`, or `unlimited: true`');
  const r = raw as Record<string, unknown>;
  unknownKeys(r, at, RATE_LIMIT_KEYS, fail);
  const unlimited = r.unlimited === undefined ? false : r.unlimited;
  if (typeof unlimited !== 'boolean') fail(`${at}.unlimited`, unlimited, 'true or false');
  let unit: Unit | undefined;
  if (unlimited) {
    if (r.unit !== undefined) fail(`${at}.unit`, r.unit, 'no unit with `unlimited: true` (remove one of them)');
  } else {
    const text = typeof r.unit === 'string' ? r.unit.toLowerCase() : undefined;
    if (text === undefined || !UNITS.includes(text as Unit)) fail(`${at}.unit`, r.unit, `one of ${UNITS.join(', ')}`);
    unit = text as Unit;
  }
  const rpu = r.requests_per_unit;
  if (rpu === undefined && !unlimited) {
    fail(`${at}.requests_per_unit`, rpu, `a whole number from 0 (deny every request) to ${MAX_UINT32}`);
  }
  if (rpu !== undefined && (typeof rpu !== 'number' || !Number.isInteger(rpu) || rpu < 0 || rpu > MAX_UINT32)) {
    fail(`${at}.requests_per_unit`, rpu, `a whole number from 0 (deny every request) to ${MAX_UINT32}`);
  }
  const name = r.name;
  if (name !== undefined && name !== null && (typeof name !== 'string' || name === '')) {
    fail(`${at}.name`, name, 'a non-empty string');
  }
  const replaces = loadReplaces(r.replaces, `${at}.replaces`, name as string | undefined, fail);
  const algorithm = r.algorithm === undefined ? 'fixed-window' : r.algorithm;
  if (!RULE_ALGORITHMS.includes(algorithm as Algorithm)) {
    fail(`${at}.algorithm`, algorithm, `one of ${RULE_ALGORITHMS.join(', ')} (default fixed-window)`);
  }
  const burst = r.burst;
  if (burst !== undefined) {
    if (algorithm !== 'token-bucket' && algorithm !== 'leaky-bucket') {
      fail(`${at}.burst`, burst, `no burst with ${algorithm} (burst is the capacity of token-bucket and leaky-bucket)`);
    }
    if (typeof burst !== 'number' || !Number.isInteger(burst) || burst < 1 || burst > 1_000_000_000) {
      fail(`${at}.burst`, burst, 'a whole number from 1 to 1000000000 (the bucket capacity)');
    }
  }
  const limit: RuleLimit = {
    requestsPerUnit: (rpu as number | undefined) ?? 0,
    unit,
    unlimited: unlimited as boolean,
    name: (name as string | null | undefined) ?? undefined,
    replaces,
    algorithm: algorithm as Algorithm,
    burst: burst as number | undefined,
  };
  try {
    policyOfRule(limit);
  } catch (error) {
    // The core's own validation (e.g. the sliding log's ceiling of 100 000), at this rule's path.
    if (!(error instanceof FlowgateConfigError)) throw error;
    const issue = error.issues[0];
    fail(
      at,
      new Said(`${limit.requestsPerUnit} per ${unit} with ${algorithm}`),
      `a limit ${algorithm} can hold: ${issue?.expected ?? error.message}`,
    );
  }
  return limit;
}

function loadReplaces(raw: unknown, at: string, own: string | undefined, fail: Fail): string[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) fail(at, raw, 'a list of `- name: <rate_limit name>`');
  return (raw as unknown[]).map((entry, i) => {
    if (!isMapping(entry)) fail(`${at}[${i}]`, entry, 'a mapping `name: <rate_limit name>`');
    const e = entry as Record<string, unknown>;
    unknownKeys(e, `${at}[${i}]`, ['name'], fail);
    if (typeof e.name !== 'string' || e.name === '') {
      fail(`${at}[${i}].name`, e.name, 'the non-empty name of another rule');
    }
    if (e.name === own) fail(`${at}[${i}].name`, e.name, 'the name of another rule (a rule cannot replace itself)');
    return e.name as string;
  });
}
