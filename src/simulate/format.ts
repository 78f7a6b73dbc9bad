/** Renders ms the way a user would type it: `60s`, `1500ms`, `2m`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms >= 120_000) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** A whole number with thousands separators: `150,000`. */
export function formatCount(value: number): string {
  return value.toLocaleString('en-US');
}

/** A percentage with enough digits to see small errors: `0.0031%`, `12.4%`. */
export function formatPercent(value: number): string {
  if (value === 0) return '0%';
  if (value < 0.01) return `${value.toPrecision(2)}%`;
  if (value < 10) return `${value.toFixed(2)}%`;
  return `${value.toFixed(1)}%`;
}

/** Bytes, e.g. `16 B`, `800 B`, `7.8 KiB`. */
export function formatBytes(bytes: number): string {
  return bytes < 10_240 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KiB`;
}
