import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseDocument } from 'yaml';
import type { DomainConfig, ServiceConfig } from './config.js';
import { validateDomain } from './config-validate.js';
import { ServeConfigError } from './errors.js';

/** The YAML files `--config` names: the file itself, or every `*.yaml`/`*.yml` directly in the directory, sorted. */
export function configFiles(path: string): string[] {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch (error) {
    throw unreadable(path, error);
  }
  if (!isDirectory) return [path];
  let names: string[];
  try {
    names = readdirSync(path);
  } catch (error) {
    throw unreadable(path, error);
  }
  // Editors' swap and backup files (`.x.yaml.swp`, `x.yaml~`) end otherwise; dotfiles are never configuration.
  return names
    .filter((name) => /\.ya?ml$/.test(name) && !name.startsWith('.'))
    .sort()
    .map((name) => join(path, name));
}

/**
 * Loads `--config` (a file or a directory of files, one domain each) into the
 * configuration the service decides with. Throws a {@link ServeConfigError}
 * for the first problem: an unreadable path, invalid YAML, an invalid
 * document, two files with one domain, a directory with no YAML file.
 *
 * @example
 * const config = loadConfig('config/'); // config.domains.get('edge')
 */
export function loadConfig(path: string): ServiceConfig {
  const files = configFiles(path);
  if (files.length === 0) {
    throw new ServeConfigError(
      'FG_SERVE_CONFIG_INVALID',
      path,
      '',
      'a directory with no *.yaml or *.yml file',
      'at least one configuration file',
    );
  }
  const domains = new Map<string, DomainConfig>();
  for (const file of files) {
    const domain = loadFile(file);
    const other = domains.get(domain.domain);
    if (other !== undefined) {
      throw new ServeConfigError(
        'FG_SERVE_CONFIG_INVALID',
        file,
        'domain',
        `${JSON.stringify(domain.domain)}, already the domain of ${basename(other.file)}`,
        'one file per domain',
      );
    }
    domains.set(domain.domain, domain);
  }
  return { domains };
}

/** Reads, parses and validates one file. */
export function loadFile(file: string): DomainConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw unreadable(file, error);
  }
  // YAML 1.2 core schema, duplicate keys refused (a second `rate_limit` silently winning is a classic mistake).
  const document = parseDocument(text, { uniqueKeys: true });
  const problem = document.errors[0];
  if (problem !== undefined) {
    const at = problem.linePos?.[0];
    const where = at === undefined ? '' : `line ${at.line}, column ${at.col}`;
    throw new ServeConfigError(
      'FG_SERVE_CONFIG_INVALID',
      file,
      where,
      `invalid YAML (${firstLine(problem.message)})`,
      'a YAML document',
    );
  }
  return validateDomain(file, document.toJS());
}

/** The message without the position and the excerpt that the YAML parser appends. */
function firstLine(text: string): string {
  return (text.split('\n')[0] ?? text).replace(/ at line \d+, column \d+:?$/, '');
}

function unreadable(path: string, error: unknown): ServeConfigError {
  const reason = (error as NodeJS.ErrnoException).code ?? String(error);
  return new ServeConfigError(
    'FG_SERVE_CONFIG_UNREADABLE',
    path,
    '',
    `a path that cannot be read (${reason})`,
    'a readable YAML file or directory',
  );
}
