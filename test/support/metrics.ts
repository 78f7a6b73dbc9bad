/**
 * The two metrics back ends as a test reads them: the OpenTelemetry SDK with
 * its in-memory exporter (what an application's MeterProvider exports), and
 * a prom-client Registry's text exposition parsed into samples.
 */
import { spawnSync } from 'node:child_process';
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  type MetricData,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { MemoryStore, type Store } from '../../src/index.js';

export interface OtelHarness {
  readonly provider: MeterProvider;
  /** Collects and exports now; the metrics of the latest export, by name. */
  collect(): Promise<Map<string, MetricData>>;
  shutdown(): Promise<void>;
}

export function otelHarness(): OtelHarness {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  // Exports only when asked (forceFlush): an interval this long never fires during a test.
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 2 ** 31 - 1 });
  const provider = new MeterProvider({ readers: [reader] });
  return {
    provider,
    async collect() {
      exporter.reset();
      await reader.forceFlush();
      const byName = new Map<string, MetricData>();
      for (const resource of exporter.getMetrics()) {
        for (const scope of resource.scopeMetrics)
          for (const metric of scope.metrics) byName.set(metric.descriptor.name, metric);
      }
      return byName;
    },
    shutdown: () => provider.shutdown(),
  };
}

/** A counter's points as `attribute values joined by '/' → value`, in the order of `keys`. */
export function sums(metric: MetricData | undefined, keys: readonly string[]): Record<string, number> {
  if (metric === undefined) return {};
  if (metric.dataPointType !== DataPointType.SUM) throw new Error(`${metric.descriptor.name} is not a sum`);
  const out: Record<string, number> = {};
  for (const point of metric.dataPoints) {
    const id = keys.map((key) => String(point.attributes[key])).join('/');
    out[id] = point.value;
  }
  return out;
}

/** A histogram's points by the value of `key`: count, sum and bucket counts. */
export function histograms(
  metric: MetricData | undefined,
  key: string,
): Record<string, { count: number; sum: number; boundaries: number[]; counts: number[] }> {
  if (metric === undefined) return {};
  if (metric.dataPointType !== DataPointType.HISTOGRAM) throw new Error(`${metric.descriptor.name} is not a histogram`);
  const out: Record<string, { count: number; sum: number; boundaries: number[]; counts: number[] }> = {};
  for (const point of metric.dataPoints) {
    out[String(point.attributes[key])] = {
      count: point.value.count,
      sum: point.value.sum ?? Number.NaN,
      boundaries: point.value.buckets.boundaries,
      counts: point.value.buckets.counts,
    };
  }
  return out;
}

/** One line of a Prometheus text exposition: `name{labels} value`. */
export interface PromSample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

/** The samples of a text exposition (comments skipped). */
export function parseExposition(text: string): PromSample[] {
  const samples: PromSample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[pair[1] as string] = (pair[2] as string).replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The value of the sample `name` whose labels include `labels`; throws unless exactly one matches. */
export function sample(samples: readonly PromSample[], name: string, labels: Record<string, string>): number {
  const found = samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([key, value]) => s.labels[key] === value),
  );
  if (found.length !== 1) throw new Error(`${found.length} samples of ${name} ${JSON.stringify(labels)}`);
  return (found[0] as PromSample).value;
}

/** `promtool check metrics` on `exposition`: its exit status and what it printed (problems, one per line). */
export function promtool(exposition: string): { status: number | null; output: string } {
  const run = spawnSync('promtool', ['check', 'metrics'], { input: exposition, encoding: 'utf8' });
  if (run.error) throw run.error;
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

/** A MemoryStore whose every answer comes `ms` later, as a remote store's would: its calls are timed. */
export function delayedStore(ms: number): Store {
  const memory = new MemoryStore();
  const later = async <T>(answer: T | Promise<T>): Promise<T> => {
    const value = await answer;
    await new Promise((resolve) => setTimeout(resolve, ms));
    return value;
  };
  return {
    bind(binding) {
      const bound = memory.bind(binding);
      return {
        limit: (keys, cost, deadline) => later(bound.limit(keys, cost, deadline)),
        peek: (keys, deadline) => later(bound.peek(keys, deadline)),
        refund: (keys, refunds, deadline) => later(bound.refund(keys, refunds, deadline)),
        reset: (keys, deadline) => later(bound.reset(keys, deadline)),
      };
    },
  };
}
