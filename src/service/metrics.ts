import { subscribe } from 'node:diagnostics_channel';
import { Counter, Histogram, Registry } from 'prom-client';
import { CHANNELS, type StoreErrorEvent } from '../observe/events.js';
import type { DecisionRecorder } from './decide.js';

/**
 * The service's Prometheus metrics, on a registry of its own (prom-client's
 * default Node metrics are left out: `promtool check metrics` rejects some of
 * their names). Labels are the domain and the rule's full key (its request
 * values only with `detailed_metric`), never a client key by default.
 */
export class ServiceMetrics implements DecisionRecorder {
  readonly registry = new Registry();
  private readonly hits: Counter;
  private readonly overLimit: Counter;
  private readonly nearLimit: Counter;
  private readonly withinLimit: Counter;
  private readonly shadowOverLimit: Counter;
  private readonly requests: Counter;
  private readonly latency: Histogram;
  readonly configLoads: Counter;
  readonly configErrors: Counter;
  private readonly storeErrors: Counter;
  private readonly rules = new Map<string, RuleCounters>();
  private readonly requestCounters = new Map<string, { inc(): void }>();

  constructor() {
    const registers = [this.registry];
    const labelNames = ['domain', 'key'] as const;
    this.hits = new Counter({
      name: 'flowgate_serve_hits_total',
      help: 'Hits (sum of hits_addend) per rule.',
      labelNames,
      registers,
    });
    this.overLimit = new Counter({
      name: 'flowgate_serve_over_limit_total',
      help: 'Descriptors over the limit, per rule.',
      labelNames,
      registers,
    });
    this.nearLimit = new Counter({
      name: 'flowgate_serve_near_limit_total',
      help: 'Admitted descriptors that left less than 20% of the limit, per rule.',
      labelNames,
      registers,
    });
    this.withinLimit = new Counter({
      name: 'flowgate_serve_within_limit_total',
      help: 'Descriptors within the limit, per rule.',
      labelNames,
      registers,
    });
    this.shadowOverLimit = new Counter({
      name: 'flowgate_serve_shadow_over_limit_total',
      help: 'Descriptors that a shadow_mode rule would have refused, per rule.',
      labelNames,
      registers,
    });
    this.requests = new Counter({
      name: 'flowgate_serve_requests_total',
      help: 'ShouldRateLimit calls by transport and outcome (OK, OVER_LIMIT, INVALID_ARGUMENT, UNAVAILABLE).',
      labelNames: ['transport', 'code'] as const,
      registers,
    });
    this.latency = new Histogram({
      name: 'flowgate_serve_request_duration_seconds',
      help: 'Time to decide a ShouldRateLimit call, by transport.',
      labelNames: ['transport'] as const,
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1],
      registers,
    });
    this.configLoads = new Counter({
      name: 'flowgate_serve_config_loads_total',
      help: 'Configurations loaded and applied.',
      registers,
    });
    this.configErrors = new Counter({
      name: 'flowgate_serve_config_load_errors_total',
      help: 'Configuration loads refused (the configuration in force stays).',
      registers,
    });
    this.storeErrors = new Counter({
      name: 'flowgate_serve_store_errors_total',
      help: 'Store errors and timeouts, by kind, answered by --on-store-error.',
      labelNames: ['kind'] as const,
      registers,
    });
    subscribe(CHANNELS.storeError, (message) => {
      this.storeErrors.inc({ kind: (message as StoreErrorEvent).kind });
    });
  }

  descriptor(domain: string, key: string, hits: number, outcome: 'within' | 'near' | 'over' | 'shadow_over'): void {
    const rule = this.ruleCounters(domain, key);
    if (hits > 0) rule.hits.inc(hits);
    if (outcome === 'over') rule.over.inc();
    else if (outcome === 'shadow_over') rule.shadowOver.inc();
    else {
      rule.within.inc();
      if (outcome === 'near') rule.near.inc();
    }
  }

  request(transport: 'grpc' | 'http', code: string, seconds: number): void {
    const id = `${transport} ${code}`;
    let counter = this.requestCounters.get(id);
    if (counter === undefined) {
      counter = this.requests.labels(transport, code);
      this.requestCounters.set(id, counter);
    }
    counter.inc();
    this.latency.labels(transport).observe(seconds);
  }

  /**
   * A rule's counters, looked up once: prom-client hashes the labels of every
   * `inc(labels, …)`, five times per descriptor. Bounded: past the bound (rules with
   * `detailed_metric` and many values), the counters are looked up each time.
   */
  private ruleCounters(domain: string, key: string): RuleCounters {
    const id = `${domain}\u0000${key}`;
    let found = this.rules.get(id);
    if (found !== undefined) return found;
    found = {
      hits: this.hits.labels(domain, key),
      over: this.overLimit.labels(domain, key),
      near: this.nearLimit.labels(domain, key),
      within: this.withinLimit.labels(domain, key),
      shadowOver: this.shadowOverLimit.labels(domain, key),
    };
    if (this.rules.size < MAX_CACHED_RULES) this.rules.set(id, found);
    return found;
  }
}

/** A rule's counters, by the label values (domain, key) they were looked up with. */
interface RuleCounters {
  readonly hits: { inc(value?: number): void };
  readonly over: { inc(): void };
  readonly near: { inc(): void };
  readonly within: { inc(): void };
  readonly shadowOver: { inc(): void };
}

/** Rules (domain and key label values) whose counters are kept looked up. */
const MAX_CACHED_RULES = 10_000;
