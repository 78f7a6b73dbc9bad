import { normalizeIp } from './address.js';

/**
 * The request header that trusted proxies use to name the client:
 * `'x-forwarded-for'` (the de facto standard), `'forwarded'` (RFC 7239) or
 * `'x-real-ip'` (nginx's single address). Only this one header is read, so a
 * client cannot slip a forged value past a proxy that sets a different one.
 */
export type ProxyHeader = 'x-forwarded-for' | 'forwarded' | 'x-real-ip';

/** Request headers as node gives them: lowercase names, repeated fields joined or as arrays. */
export type HeaderBag = Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * The client addresses a proxy header lists, farthest first, canonicalised by
 * `normalizeIp`; `undefined` marks an entry that is not an IP address
 * (`unknown`, an obfuscated `_node` name, garbage), where the walk must stop.
 *
 * @example
 * forwardedChain({ 'x-forwarded-for': '203.0.113.7, 10.0.0.2' }, 'x-forwarded-for'); // ['203.0.113.7', '10.0.0.2']
 * forwardedChain({ forwarded: 'for="[2001:db8::1]:443";proto=https' }, 'forwarded'); // ['2001:db8::1']
 */
export function forwardedChain(headers: HeaderBag, header: ProxyHeader): (string | undefined)[] {
  const raw = headers[header];
  if (raw === undefined) return [];
  const value = typeof raw === 'string' ? raw : raw.join(',');
  if (header === 'x-real-ip') return [nodeAddress(value.trim())];
  if (header === 'x-forwarded-for') return value.split(',').map((entry) => nodeAddress(entry.trim()));
  return splitOutsideQuotes(value, ',').map(forAddress);
}

/** The address of an RFC 7239 `node` or an X-Forwarded-For entry: bare, `[v6]`, `[v6]:port` or `v4:port`. */
function nodeAddress(node: string): string | undefined {
  let host = node;
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    if (end === -1) return undefined;
    host = host.slice(1, end);
  } else if (host.indexOf(':') !== -1 && host.indexOf(':') === host.lastIndexOf(':')) {
    host = host.slice(0, host.indexOf(':'));
  }
  return normalizeIp(host);
}

/** The `for=` parameter of one Forwarded element (`for=1.2.3.4;proto=https`). */
function forAddress(element: string): string | undefined {
  for (const pair of splitOutsideQuotes(element, ';')) {
    const eq = pair.indexOf('=');
    if (eq === -1 || pair.slice(0, eq).trim().toLowerCase() !== 'for') continue;
    let value = pair.slice(eq + 1).trim();
    if (value.startsWith('"')) {
      if (value.length < 2 || !value.endsWith('"')) return undefined;
      value = value.slice(1, -1).replace(/\\(.)/g, '$1');
    }
    return nodeAddress(value);
  }
  return undefined;
}

/** Splits on `separator` except inside RFC 9110 quoted strings (with backslash escapes). */
function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted && c === '\\') i++;
    else if (c === '"') quoted = !quoted;
    else if (!quoted && c === separator) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}
