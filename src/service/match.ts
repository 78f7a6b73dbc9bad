import type { DomainConfig, Level, Rule } from './config.js';
import { matchesWildcard } from './wildcard.js';

/** One entry of a request's descriptor. */
export interface Entry {
  readonly key: string;
  readonly value: string;
}

/** The rule a descriptor matched, the key its count lives under, and its metric name. */
export interface Match {
  readonly rule: Rule;
  /** The store key: the domain and every entry, unambiguous (a JSON array). */
  readonly key: string;
  /** The metric label: the rule's full key, or with `detailed_metric` the request's own `domain.key_value…`. */
  readonly metricKey: string;
}

/**
 * The rule that applies to a descriptor, as envoyproxy/ratelimit's
 * `GetLimit` finds it: walk the tree one entry at a time, preferring an exact
 * `key_value`, then the first wildcard of the level that matches, then the
 * bare `key` (any value); the descriptor matches only if the walk reaches its
 * last entry on a rule with a `rate_limit`. Undefined when nothing matches.
 *
 * @example
 * matchDescriptor(domain, [{ key: 'key1', value: 'value1' }, { key: 'subkey1', value: 'x' }]);
 */
export function matchDescriptor(domain: DomainConfig, entries: readonly Entry[]): Match | undefined {
  let level: Level = domain.root;
  const keyParts: string[] = [domain.domain];
  let detailed = domain.domain;
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i] as Entry;
    const finalKey = `${entry.key}_${entry.value}`;
    detailed += `.${finalKey}`;
    let next = level.children.get(finalKey);
    let shared: string | undefined;
    if (next === undefined) {
      for (const wildcard of level.wildcards) {
        if (!matchesWildcard(wildcard.parts, finalKey)) continue;
        next = level.children.get(wildcard.finalKey);
        // share_threshold: every value this wildcard matches counts under the pattern itself.
        if (next?.rule.shareThreshold) shared = wildcard.finalKey;
        break;
      }
    }
    next ??= level.children.get(entry.key);
    keyParts.push(entry.key, shared === undefined ? entry.value : `*${shared}`);
    if (next === undefined) return undefined;
    if (i === entries.length - 1) {
      const rule = next.rule;
      if (rule.limit === undefined) return undefined;
      return { rule, key: JSON.stringify(keyParts), metricKey: rule.detailedMetric ? detailed : rule.fullKey };
    }
    if (next.children.size === 0) return undefined;
    level = next;
  }
  return undefined;
}
