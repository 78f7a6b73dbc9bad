import type { Algorithm } from '../policies/policy.js';

/** Envoy's units, and how long each is (envoyproxy/ratelimit `UnitToDivider`: a month is 30 days, a year 365). */
export const UNIT_MS = {
  second: 1_000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
  week: 604_800_000,
  month: 2_592_000_000,
  year: 31_536_000_000,
} as const;

/** One of Envoy's rate limit units, lowercase as in the YAML. */
export type Unit = keyof typeof UNIT_MS;

/** A rule's `rate_limit`, validated. */
export interface RuleLimit {
  /** Envoy's `requests_per_unit`; 0 denies every request (upstream's documented "block all"). */
  readonly requestsPerUnit: number;
  /** Undefined only when `unlimited`. */
  readonly unit: Unit | undefined;
  readonly unlimited: boolean;
  /** `rate_limit.name`: what `replaces` refers to; also the name in the RateLimit headers when given. */
  readonly name: string | undefined;
  readonly replaces: readonly string[];
  /** flowgate's addition. @default 'fixed-window' (Envoy's own algorithm) */
  readonly algorithm: Algorithm;
  /** Bucket capacity (token-bucket, leaky-bucket). @default requestsPerUnit */
  readonly burst: number | undefined;
}

/** A descriptor rule of a domain: one `descriptors` entry, with its place in the file. */
export interface Rule {
  /** Upstream's full key, e.g. `test-domain.key1_value1.subkey1`: the metric label and the limiter's identity. */
  readonly fullKey: string;
  /** Where the rule is, e.g. `descriptors[0].descriptors[1]`. */
  readonly path: string;
  readonly limit: RuleLimit | undefined;
  readonly shadowMode: boolean;
  readonly detailedMetric: boolean;
  /** `share_threshold`: every value matching this rule's wildcard shares one count (upstream's meaning). */
  readonly shareThreshold: boolean;
}

/** A wildcard entry of a level: `key_value` with `*`, split at the stars (upstream's `wildcardMatch`). */
export interface Wildcard {
  readonly finalKey: string;
  readonly parts: readonly string[];
}

/** One level of the descriptor tree: children by `key` or `key_value`, wildcards in file order. */
export interface Level {
  readonly children: ReadonlyMap<string, Node>;
  readonly wildcards: readonly Wildcard[];
}

/** A descriptor rule and the level below it. */
export interface Node extends Level {
  readonly rule: Rule;
}

/** One configuration file: one domain. */
export interface DomainConfig {
  readonly domain: string;
  readonly file: string;
  readonly root: Level;
  /** Every rule, in file order (for /rlconfig and the metrics). */
  readonly rules: readonly Rule[];
}

/** The configuration in force: every domain, by name. */
export interface ServiceConfig {
  readonly domains: ReadonlyMap<string, DomainConfig>;
}
