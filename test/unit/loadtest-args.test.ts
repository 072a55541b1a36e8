import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/cli/commands/loadtest';
import { isLoopback } from '../../src/tools/loadtest/run';

describe('loadtest arguments', () => {
  it('knows loopback targets', () => {
    for (const t of [
      'localhost:7233',
      '127.0.0.1:7233',
      'http://localhost:8787',
      'http://127.0.0.5:1/v1',
      'http://[::1]:8787',
    ]) {
      expect(isLoopback(t), t).toBe(true);
    }
    for (const t of ['temporal.example.com:7233', 'https://api.openai.com/v1', '10.0.0.1:7233'])
      expect(isLoopback(t), t).toBe(false);
  });
  it('parses bounded durations', () => {
    expect(parseDuration('60s')).toBe(60_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('30')).toBe(30_000);
    expect(() => parseDuration('1h')).toThrow(/--duration/);
    expect(() => parseDuration('11m')).toThrow(/--duration/);
  });
});
