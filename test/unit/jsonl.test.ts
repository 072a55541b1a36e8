import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { JsonlError, parseJsonl, readJsonl } from '../../src/doors/client/jsonl';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jsonl-test-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

describe('JSONL requests', () => {
  it('returns each JSON line with its 1-based line number, skipping blank lines', async () => {
    const file = write('ok.jsonl', '{"id":"a"}\n\n   \n{"id":"b"}\r\n[1,2]\n');
    expect(await readJsonl(file)).toEqual([
      { line: 1, value: { id: 'a' } },
      { line: 4, value: { id: 'b' } },
      { line: 5, value: [1, 2] },
    ]);
  });

  it('reads a last line without a newline and ignores a byte-order mark', () => {
    expect(parseJsonl('\ufeff{"id":"a"}\n{"id":"b"}')).toEqual([
      { line: 1, value: { id: 'a' } },
      { line: 2, value: { id: 'b' } },
    ]);
  });

  it('gives nothing for an empty or blank file', () => {
    expect(parseJsonl('')).toEqual([]);
    expect(parseJsonl('\n\n  \n')).toEqual([]);
  });

  it('names file:line and the parse problem of every line that is not JSON', async () => {
    const file = write('bad.jsonl', '{"id":"a"}\n{"id": "b",\nnot json\n{"id":"c"}\n');
    const err = await readJsonl(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JsonlError);
    const e = err as JsonlError;
    expect(e.file).toBe(file);
    expect(e.issues.map((i) => i.line)).toEqual([2, 3]);
    expect(e.message).toContain(`${file}:2: `);
    expect(e.message).toContain(`${file}:3: `);
    // The JSON parser's own words, e.g. "Unexpected token 'o', "not json" is not valid JSON".
    expect(e.issues[1]!.message).toMatch(/JSON|Unexpected/);
    expect(e.message).toMatch(/2 lines are not valid JSON/);
  });

  it('lets a missing file fail with its fs error', async () => {
    const err = (await readJsonl(path.join(dir, 'nope.jsonl')).catch(
      (e: unknown) => e,
    )) as NodeJS.ErrnoException;
    expect(err.code).toBe('ENOENT');
  });
});
