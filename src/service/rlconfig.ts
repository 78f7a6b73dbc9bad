import type { ServiceConfig } from './config.js';

/**
 * `GET /rlconfig`: the configuration in force, one line per rule with a
 * limit, as envoyproxy/ratelimit prints it (`<full key>: unit=… requests_per_unit=…`),
 * plus flowgate's algorithm and burst and the file each domain came from.
 *
 * @example
 * dumpConfig(config); // "# edge (config/edge.yaml)\nedge.remote_address: unit=MINUTE requests_per_unit=3, shadow_mode: false, algorithm: fixed-window\n"
 */
export function dumpConfig(config: ServiceConfig): string {
  const lines: string[] = [];
  for (const domain of config.domains.values()) {
    lines.push(`# ${domain.domain} (${domain.file})`);
    for (const rule of domain.rules) {
      const limit = rule.limit;
      if (limit === undefined) continue;
      const parts = limit.unlimited
        ? ['unlimited']
        : [`unit=${(limit.unit ?? '').toUpperCase()} requests_per_unit=${limit.requestsPerUnit}`];
      parts.push(`shadow_mode: ${rule.shadowMode}`);
      if (!limit.unlimited) parts.push(`algorithm: ${limit.algorithm}`);
      if (limit.burst !== undefined) parts.push(`burst: ${limit.burst}`);
      if (limit.name !== undefined) parts.push(`name: ${limit.name}`);
      if (limit.replaces.length > 0) parts.push(`replaces: ${limit.replaces.join(' ')}`);
      lines.push(`${rule.fullKey}: ${parts.join(', ')}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
