import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readTrace } from '../../src/simulate/trace.js';

function traceFile(lines: string[]): string {
  const file = join(mkdtempSync(join(tmpdir(), 'flowgate-trace-')), 'trace.csv');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

test('--time-unit s: fractional seconds become exact milliseconds', () => {
  const file = traceFile(['1767225600.123,a', '1767225600.001,a', '1767225600.999,a', '0.0005,b', '3.3,b']);
  assert.deepEqual(
    readTrace(file, 1, 's').map((a) => a.at),
    [1767225600123, 1767225600001, 1767225600999, 0, 3300],
  );
});

test('only a trace whose every timestamp reads as Unix seconds is refused', () => {
  const seconds = traceFile(['1000000000.5,a', '1767225600,a', '9999999999,a']);
  assert.throws(() => readTrace(seconds, 1), { code: 'FG_SIM_TRACE_SECONDS' });
  assert.equal(readTrace(seconds, 1, 'ms').length, 3);
  // Epoch milliseconds, relative milliseconds, and a mix with one millisecond stamp: read as ms.
  for (const lines of [['1767225600000,a'], ['0,a', '1500,a'], ['1767225600,a', '1767225600000,a'], ['999999999,a']]) {
    assert.deepEqual(
      readTrace(traceFile(lines), 1).map((a) => a.at),
      lines.map((line) => Math.floor(Number(line.split(',')[0]))),
      lines.join(' '),
    );
  }
});
