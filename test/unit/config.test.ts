import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/request/config/errors';
import { loadConfig, parseConfig } from '../../src/request/config-file/load';

const projectConfig = path.resolve(__dirname, '../../cascade.config.yaml');

const minimal = `
models:
  small: { provider: openai-compatible, baseUrl: http://localhost:8788/v1, pricing: { inputPerMTok: 0.1, outputPerMTok: 0.2 } }
  large: { provider: openai-compatible, baseUrl: http://localhost:8788/v1, pricing: { inputPerMTok: 3, outputPerMTok: 3 } }
tasks:
  qa:
    route: cascade
    rungs:
      - { model: small, confidence: answer_logprob, threshold: 0.7 }
      - { model: large }
`;

function configError(text: string): ConfigError {
  try {
    parseConfig(text, 'test.yaml');
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected the config to be refused');
}

describe('config', () => {
  it('the embedded default config is valid and every task names configured models', () => {
    const { config, version } = loadConfig(projectConfig);
    expect(version).toMatch(/^cfg-[0-9a-f]{12}$/);
    for (const task of Object.values(config.tasks)) {
      for (const rung of task.rungs) expect(Object.keys(config.models)).toContain(rung.model);
    }
  });

  it('fills defaults, and the version depends on content but not on key order', () => {
    const a = parseConfig(minimal);
    expect(a.config.models.small!.timeoutMs).toBe(60_000);
    expect(a.config.tasks.qa!.limits.maxAttemptsPerRung).toBe(3);
    expect(a.config.temporal.costPerAction).toBe(0);

    const reordered = minimal.replace(
      '{ provider: openai-compatible, baseUrl: http://localhost:8788/v1, pricing: { inputPerMTok: 0.1, outputPerMTok: 0.2 } }',
      '{ pricing: { outputPerMTok: 0.2, inputPerMTok: 0.1 }, baseUrl: http://localhost:8788/v1, provider: openai-compatible }',
    );
    expect(parseConfig(reordered).version).toBe(a.version);
    expect(parseConfig(minimal.replace('outputPerMTok: 0.2', 'outputPerMTok: 0.25')).version).not.toBe(
      a.version,
    );
  });

  it('lists every wrong field of a broken config by its path', () => {
    const broken = `
models:
  small: { provider: openai-compatible, baseUrl: not-a-url, pricing: { inputPerMTok: "cheap", outputPerMTok: -1 } }
tasks:
  qa:
    route: cascade
    rungs: [{ model: small, threshold: 1.5 }]
    colour: blue
`;
    const err = configError(broken);
    const paths = err.issues.map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'models.small.baseUrl',
        'models.small.pricing.inputPerMTok',
        'models.small.pricing.outputPerMTok',
        'tasks.qa.rungs[0].threshold',
        'tasks.qa',
      ]),
    );
    expect(err.issues.find((i) => i.path === 'tasks.qa')!.message).toContain('colour');
    expect(err.message).toContain('test.yaml');
  });

  it('names the field of a rung that uses an unknown model, and lists the known ones', () => {
    const err = configError(minimal.replace('{ model: large }', '{ model: llama-9000 }'));
    expect(err.issues).toEqual([
      { path: 'tasks.qa.rungs[1].model', message: 'unknown model "llama-9000"; known models: small, large' },
    ]);
  });

  it('checks what each route needs', () => {
    expect(configError(minimal.replace('route: cascade', 'route: static')).issues[0]).toMatchObject({
      path: 'tasks.qa.rungs',
      message: expect.stringContaining('one model'),
    });
    expect(configError(minimal.replace('route: cascade', 'route: direct-small')).issues[0]).toMatchObject({
      path: 'tasks.qa.responseSchema',
    });
    const noThreshold = minimal.replace(
      'confidence: answer_logprob, threshold: 0.7',
      'confidence: answer_logprob',
    );
    expect(configError(noThreshold).issues[0]).toMatchObject({ path: 'tasks.qa.rungs[0].threshold' });
  });

  it('refuses a response schema that does not compile, naming the task', () => {
    const withSchema = minimal.replace('route: cascade', 'route: cascade\n    responseSchema: { type: 12 }');
    const err = configError(withSchema);
    expect(err.issues[0]!.path).toBe('tasks.qa.responseSchema');
    expect(err.issues[0]!.message).toMatch(/invalid JSON Schema/);
  });

  it('refuses logprob confidence on an endpoint without logprobs', () => {
    const text = minimal.replace(
      'pricing: { inputPerMTok: 0.1, outputPerMTok: 0.2 }',
      'pricing: { inputPerMTok: 0.1, outputPerMTok: 0.2 }, logprobs: false',
    );
    expect(configError(text).issues[0]).toMatchObject({
      path: 'tasks.qa.rungs[0].confidence',
      message: expect.stringContaining('self_check'),
    });
  });

  it('reports YAML syntax errors and a missing file clearly', () => {
    expect(configError('models: [unclosed').issues[0]!.path).toBe('(yaml)');
    expect(() => loadConfig('/nonexistent/cascade.config.yaml')).toThrow(/no such file/);
  });
});
