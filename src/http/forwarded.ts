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

/** {@link ProxyHeaderReader.next}: no element is left to the left. */
export const END = 0;
/** {@link ProxyHeaderReader.next}: a well-formed element that names no address (`unknown`, `_hidden`, no `for=`). */
export const OPAQUE = 1;
/** {@link ProxyHeaderReader.next}: the element is not what a proxy writes; `problem` says why. */
export const MALFORMED = 2;
/** A canonical address (see `normalizeIp`), or one of {@link END}, {@link OPAQUE}, {@link MALFORMED}. */
export type Hop = string | typeof END | typeof OPAQUE | typeof MALFORMED;

/**
 * The most characters one element may span, separators and empty elements
 * before it included. A proxy writes far less (`for="[v6]:port";by=...;
 * host=...;proto=https` is under 400); a longer element was not written by a
 * proxy, and the bound keeps the work per hop constant whatever the header's length.
 */
export const MAX_ELEMENT_CHARS = 512;

// Character codes.
const TAB = 9;
const SPACE = 32;
const QUOTE = 34;
const COMMA = 44;
const SEMICOLON = 59;
const EQUALS = 61;
const BACKSLASH = 92;
const DEL = 127;
/** What {@link ProxyHeaderReader} sees left of the start of its text. */
const START = -1;
/** What it sees left of its budget: the element is too long. */
const OVER = -2;
const TOO_LONG = 'an element longer than the limit';

/**
 * Reads a proxy header from the right, one element per {@link next} call, so
 * that the client's own text, which is always on the left, is never parsed
 * unless every proxy to its right is trusted. A proxy appends its element
 * after whatever the client sent, so reading right to left, each element's
 * extent is fixed by the proxy's own well-formed text: no quote, escape,
 * comma or parameter on the client's side can reach into it or shift it.
 * Each call examines at most {@link MAX_ELEMENT_CHARS} characters and
 * canonicalises at most one address, so the work per request is bounded by
 * the number of hops read, not by the header's length.
 *
 * One reader is reused across requests (it holds no per-request closure);
 * call {@link reset} before each header.
 *
 * @example
 * const reader = new ProxyHeaderReader();
 * reader.reset('forwarded', 'for=10.0.0.7;x=", for=203.0.113.7');
 * reader.next(); // '203.0.113.7' (the proxy's element)
 * reader.next(); // MALFORMED (the client's unclosed quote: only read if that proxy was trusted)
 */
export class ProxyHeaderReader {
  /**
   * Character reads since the last {@link reset}, counted where they happen:
   * a few per character of the elements read, whatever the header's length.
   */
  scanned = 0;
  /** Why the last {@link next} returned {@link MALFORMED}. */
  problem = '';
  private header: ProxyHeader = 'x-forwarded-for';
  private lines: readonly string[] | undefined;
  private line = 0;
  private text = '';
  /** Exclusive end of the unread part of `text`. */
  private end = 0;
  /** `text` below this index is past the current element's budget. */
  private floor = 0;
  // The `for=` value of the Forwarded element just parsed: text[forStart, forEnd), quoted or not.
  private forStart = -1;
  private forEnd = -1;
  private forQuoted = false;

  /** Starts reading `raw`, the value of `header` (an array is one field line per entry, in order). */
  reset(header: ProxyHeader, raw: string | readonly string[]): void {
    this.header = header;
    this.scanned = 0;
    this.problem = '';
    if (typeof raw === 'string') {
      this.lines = undefined;
      this.text = raw;
    } else {
      this.lines = raw;
      this.line = raw.length - 1;
      this.text = raw[this.line] ?? '';
    }
    this.end = this.text.length;
  }

  /** The next element to the left: its canonical address, or {@link END}, {@link OPAQUE}, {@link MALFORMED}. */
  next(): Hop {
    if (this.header === 'x-real-ip') return this.realIp();
    let budget = MAX_ELEMENT_CHARS;
    // Skip separators and empty elements (RFC 9110 §5.6.1 lets a list have them), across field lines.
    for (;;) {
      this.floor = Math.max(0, this.end - budget);
      let pos = this.end;
      for (let c = this.before(pos); c === SPACE || c === TAB || c === COMMA; c = this.before(pos)) pos--;
      budget -= this.end - pos;
      this.end = pos;
      if (this.before(pos) === OVER) return this.malformed(TOO_LONG);
      if (pos > 0) break;
      if (this.lines === undefined || this.line <= 0) return END;
      // Each field line costs one unit of budget, so a flood of empty lines is bounded too.
      budget--;
      if (budget <= 0) return this.malformed('too many empty field lines');
      this.line--;
      this.text = this.lines[this.line] ?? '';
      this.end = this.text.length;
    }
    const start = this.header === 'forwarded' ? this.forwardedElement(this.end) : this.listElement(this.end);
    if (start < 0) return MALFORMED;
    const last = this.end;
    this.end = start;
    if (this.header === 'forwarded') {
      if (this.forStart < 0) return OPAQUE;
      return this.node(this.forwardedValue(), 'the for= value');
    }
    return this.node(trimOws(this.text, start, last), 'an entry');
  }

  /** The character code left of `pos`, {@link START} at the text's start, {@link OVER} past the budget. */
  private before(pos: number): number {
    this.scanned++;
    if (pos <= this.floor) return pos === 0 ? START : OVER;
    return this.text.charCodeAt(pos - 1);
  }

  private malformed(problem: string): typeof MALFORMED {
    this.problem = problem;
    return MALFORMED;
  }

  /** X-Real-IP is one address set by the nearest proxy: a list or anything else is not. */
  private realIp(): Hop {
    if (this.end < 0) return END;
    this.end = -1;
    const text = this.text;
    if (this.lines !== undefined && this.lines.length > 1) return this.malformed('several X-Real-IP field lines');
    if (text.length > MAX_ELEMENT_CHARS) return this.malformed('a value longer than the limit');
    this.scanned += text.length;
    if (text.indexOf(',') !== -1) return this.malformed('a list where one address belongs');
    return this.node(trimOws(text, 0, text.length), 'the value');
  }

  /** Start of the X-Forwarded-For entry that ends at `end` (just after a comma, or 0), or -1. */
  private listElement(end: number): number {
    let pos = end;
    for (let c = this.before(pos); c >= 0 && c !== COMMA; c = this.before(pos)) pos--;
    return this.before(pos) === OVER ? this.fail(TOO_LONG) : pos;
  }

  /**
   * Parses, right to left, the Forwarded element (RFC 7239 §4) that ends at
   * `end`, and records its `for=` value. Returns the element's start, or -1.
   * OWS is tolerated around `;` as well as around `,`: it cannot hide a delimiter.
   */
  private forwardedElement(end: number): number {
    this.forStart = -1;
    let pos = end;
    for (;;) {
      // Empty pairs (`;;`) and the OWS around them.
      for (let c = this.before(pos); c === SEMICOLON || c === SPACE || c === TAB; c = this.before(pos)) pos--;
      const edge = this.before(pos);
      if (edge === START || edge === COMMA) return pos;
      if (edge === OVER) return this.fail(TOO_LONG);
      // The value: a quoted-string or a token.
      const valueEnd = pos;
      const quoted = edge === QUOTE;
      pos = quoted ? this.quotedStart(pos) : this.tokenStart(pos);
      if (pos < 0) return -1;
      if (pos === valueEnd) return this.fail('a parameter without a value');
      const valueStart = pos;
      const equals = this.before(pos);
      if (equals !== EQUALS)
        return this.fail(equals === OVER ? TOO_LONG : 'a value that is not a token or a quoted string');
      pos--;
      const nameEnd = pos;
      pos = this.tokenStart(pos);
      if (pos === nameEnd) return this.fail('a parameter without a name');
      if (nameEnd - pos === 3 && this.isFor(pos)) {
        if (this.forStart >= 0) return this.fail('two for= parameters in one element');
        this.forStart = valueStart;
        this.forEnd = valueEnd;
        this.forQuoted = quoted;
      }
      for (let c = this.before(pos); c === SPACE || c === TAB; c = this.before(pos)) pos--;
      const left = this.before(pos);
      if (left === START || left === COMMA) return pos;
      if (left !== SEMICOLON) return this.fail(left === OVER ? TOO_LONG : 'a stray character');
    }
  }

  private fail(problem: string): -1 {
    this.malformed(problem);
    return -1;
  }

  /** Start of the token that ends at `pos` (`pos` itself when there is none). */
  private tokenStart(pos: number): number {
    let start = pos;
    while (isTchar(this.before(start))) start--;
    return start;
  }

  /**
   * Index of the opening quote of the quoted-string whose closing quote is
   * `text[pos - 1]`, or -1. Scanning leftwards, a quote preceded by an odd run
   * of backslashes is escaped; an even run means it is a real delimiter,
   * exactly as a left-to-right reading would see it.
   */
  private quotedStart(pos: number): number {
    if (this.backslashesBefore(pos - 1) % 2 === 1) return this.fail('an escaped quote where a closing quote belongs');
    for (let i = pos - 1; ; i--) {
      const c = this.before(i);
      if (c === START) return this.fail('an unclosed quoted string');
      if (c === OVER) return this.fail(TOO_LONG);
      if (c === QUOTE) {
        const run = this.backslashesBefore(i - 1);
        if (run < 0) return this.fail(TOO_LONG);
        if (run % 2 === 0) return i - 1;
      } else if ((c < SPACE && c !== TAB) || c === DEL) {
        return this.fail('a control character in a quoted string');
      }
    }
  }

  /** Length of the run of backslashes that ends just before index `at`; -1 if it runs past the budget. */
  private backslashesBefore(at: number): number {
    let run = 0;
    for (let c = this.before(at); c === BACKSLASH; c = this.before(at - run)) run++;
    return this.before(at - run) === OVER ? -1 : run;
  }

  private isFor(at: number): boolean {
    const t = this.text;
    return (
      (t.charCodeAt(at) | 32) === 102 && (t.charCodeAt(at + 1) | 32) === 111 && (t.charCodeAt(at + 2) | 32) === 114
    );
  }

  /** The `for=` value of the element just parsed, quotes removed and quoted-pairs unescaped. */
  private forwardedValue(): string {
    const t = this.text;
    if (!this.forQuoted) return t.slice(this.forStart, this.forEnd);
    const inner = t.slice(this.forStart + 1, this.forEnd - 1);
    if (inner.indexOf('\\') === -1) return inner;
    let out = '';
    for (let i = 0; i < inner.length; i++) out += inner[i] === '\\' ? inner[++i] : inner[i];
    return out;
  }

  /**
   * A node: `v4`, `v4:port`, `[v6]`, `[v6]:port`, a bare `v6` (with an
   * optional zone), or RFC 7239's `unknown` and `_obfuscated` names ({@link OPAQUE}).
   */
  private node(node: string, what: string): Hop {
    let host = node;
    let port = '';
    if (node.charCodeAt(0) === 91 /* [ */) {
      const close = node.indexOf(']');
      if (close === -1) return this.malformed(`${what} has an unclosed [`);
      host = node.slice(1, close);
      if (close + 1 < node.length) {
        if (node.charCodeAt(close + 1) !== 58 /* : */) return this.malformed(`${what} has text after ]`);
        port = node.slice(close + 2);
      }
    } else {
      const colon = node.indexOf(':');
      if (colon !== -1 && colon === node.lastIndexOf(':')) {
        host = node.slice(0, colon);
        port = node.slice(colon + 1);
      }
    }
    if (host.charCodeAt(0) === 95 /* _ */ || host.toLowerCase() === 'unknown') return OPAQUE;
    if (port !== '' && !isPort(port)) return this.malformed(`${what} has a bad port`);
    return normalizeIp(host) ?? this.malformed(`${what} is not an IP address`);
  }
}

/** `text[start, end)` without the SP and HTAB (RFC 9110 OWS) at its ends; no other space counts. */
function trimOws(text: string, start: number, end: number): string {
  let from = start;
  let to = end;
  while (from < to && (text.charCodeAt(from) === SPACE || text.charCodeAt(from) === TAB)) from++;
  while (to > from && (text.charCodeAt(to - 1) === SPACE || text.charCodeAt(to - 1) === TAB)) to--;
  return text.slice(from, to);
}

/** RFC 9110 tchar: ALPHA, DIGIT and ``!#$%&'*+-.^_`|~``. */
function isTchar(c: number): boolean {
  if (c >= 97 && c <= 122) return true; // a-z
  if (c >= 65 && c <= 90) return true; // A-Z
  if (c >= 48 && c <= 57) return true; // 0-9
  switch (c) {
    case 33:
    case 35:
    case 36:
    case 37:
    case 38:
    case 39:
    case 42:
    case 43:
    case 45:
    case 46:
    case 94:
    case 95:
    case 96:
    case 124:
    case 126:
      return true;
    default:
      return false;
  }
}

/** RFC 7239 node-port: 1 to 5 digits, or an obfuscated `_name`. */
function isPort(port: string): boolean {
  if (port.charCodeAt(0) === 95) return port.length > 1;
  if (port.length > 5) return false;
  for (let i = 0; i < port.length; i++) {
    const c = port.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}
