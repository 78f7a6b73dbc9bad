/**
 * The ```ts blocks of a Markdown file, as programs to compile and run.
 *
 * An HTML comment directly above a block (blank lines between are fine)
 * changes how it is checked; the reader of the rendered page does not see it:
 *
 *   <!-- snippet: compile-only -->      type-checked, not run
 *   <!-- snippet: continued -->         appended to the previous block: one program
 *   <!-- snippet:                       hidden code before the block
 *   declare const app: import('express').Express;
 *   -->
 *
 * Flags and hidden code combine (`<!-- snippet: compile-only` then code lines).
 */

export const FLAGS = ['compile-only', 'continued'] as const;
export type Flag = (typeof FLAGS)[number];

export interface Snippet {
  /** 1-based line of the first block's opening fence. */
  readonly line: number;
  /** The `## ` heading the block is under. */
  readonly heading: string;
  readonly flags: ReadonlySet<Flag>;
  /** The program: hidden code and the block(s), one entry per line. */
  readonly lines: readonly { readonly text: string; readonly source: number | undefined }[];
}

interface Directive {
  readonly line: number;
  readonly flags: Flag[];
  readonly hidden: string[];
}

const FENCE = /^```(ts|typescript)\s*$/;

/** The snippets of `markdown`; throws on a directive it does not understand or that precedes no ```ts block. */
export function extractSnippets(markdown: string, file = 'README.md'): Snippet[] {
  const lines = markdown.split('\n');
  const snippets: {
    line: number;
    heading: string;
    flags: Set<Flag>;
    lines: { text: string; source: number | undefined }[];
  }[] = [];
  let heading = '';
  let pending: Directive | undefined;
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i] as string;
    if (text.startsWith('```') && !FENCE.test(text)) {
      // Another language's block: skip it whole (it may contain anything).
      if (pending) throw new Error(`${file}:${pending.line}: a snippet directive must be followed by a \`\`\`ts block`);
      do i++;
      while (i < lines.length && !(lines[i] as string).startsWith('```'));
      continue;
    }
    if (text.startsWith('## ')) heading = text.slice(3).trim();
    if (text.startsWith('<!-- snippet')) {
      pending = directive(lines, i, file);
      i += pending.hidden.length + (lines[i]?.includes('-->') ? 0 : 1);
      continue;
    }
    if (FENCE.test(text)) {
      const body: { text: string; source: number | undefined }[] = [];
      let j = i + 1;
      for (; j < lines.length && !(lines[j] as string).startsWith('```'); j++) {
        body.push({ text: lines[j] as string, source: j + 1 });
      }
      const flags = new Set(pending?.flags ?? []);
      const hidden = (pending?.hidden ?? []).map((t) => ({ text: t, source: undefined }));
      const previous = snippets.at(-1);
      if (flags.has('continued')) {
        if (!previous) throw new Error(`${file}:${i + 1}: a continued block needs a block before it`);
        for (const flag of flags) if (flag !== 'continued') previous.flags.add(flag);
        previous.lines.push(...hidden, ...body);
      } else {
        snippets.push({ line: i + 1, heading, flags, lines: [...hidden, ...body] });
      }
      pending = undefined;
      i = j;
      continue;
    }
    if (pending && text.trim() !== '') {
      throw new Error(`${file}:${pending.line}: a snippet directive must be followed by a \`\`\`ts block`);
    }
  }
  if (pending) throw new Error(`${file}:${pending.line}: a snippet directive must be followed by a \`\`\`ts block`);
  return snippets;
}

function directive(lines: string[], start: number, file: string): Directive {
  const first = lines[start] as string;
  const match = /^<!-- snippet:((?:\s+[\w-]+)*)\s*(-->)?\s*$/.exec(first);
  if (!match) throw new Error(`${file}:${start + 1}: expected "<!-- snippet: flag… -->", got ${first}`);
  const flags = (match[1] ?? '').split(/\s+/).filter(Boolean);
  for (const flag of flags) {
    if (!(FLAGS as readonly string[]).includes(flag)) {
      throw new Error(`${file}:${start + 1}: unknown snippet flag "${flag}"; known: ${FLAGS.join(', ')}`);
    }
  }
  const hidden: string[] = [];
  if (!match[2]) {
    let i = start + 1;
    for (; i < lines.length && (lines[i] as string).trim() !== '-->'; i++) hidden.push(lines[i] as string);
    if (i === lines.length) throw new Error(`${file}:${start + 1}: snippet directive without its closing -->`);
  }
  return { line: start + 1, flags: flags as Flag[], hidden };
}
