/**
 * Config for Anthropic models: `provider: anthropic` is accepted, and a rung whose confidence
 * needs token logprobs is refused on an Anthropic model (Anthropic returns none), naming the
 * task, the rung and the model (self_check too: its P(yes) comes from logprobs); judge rungs pass.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/request/config/errors';
import { parseConfig } from '../../src/request/config-file/load';

const models = `
models:
  haiku: { provider: anthropic, baseUrl: https://api.anthropic.com, model: claude-haiku-4-5, apiKeyEnv: ANTHROPIC_API_KEY, logprobs: false, pricing: { inputPerMTok: 1, outputPerMTok: 5 } }
  big: { provider: openai-compatible, baseUrl: http://localhost:8788/v1, pricing: { inputPerMTok: 3, outputPerMTok: 3 } }
  judge: { provider: openai-compatible, baseUrl: http://localhost:8788/v1, pricing: { inputPerMTok: 3, outputPerMTok: 3 } }
`;

const withRung = (rung: string) => `${models}
tasks:
  qa:
    route: cascade
    rungs:
      - ${rung}
      - { model: big }
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

describe('config: Anthropic models', () => {
  it('accepts provider: anthropic', () => {
    const { config } = parseConfig(
      withRung('{ model: haiku, confidence: judge, judge: judge, threshold: 0.7 }'),
    );
    expect(config.models.haiku).toMatchObject({
      provider: 'anthropic',
      baseUrl: 'https://api.anthropic.com',
    });
  });

  it.each(['answer_logprob', 'mean_logprob', 'min_logprob'])(
    'refuses %s on an Anthropic rung, naming task, rung and model',
    (source) => {
      const err = configError(withRung(`{ model: haiku, confidence: ${source}, threshold: 0.7 }`));
      expect(err.issues).toHaveLength(1);
      expect(err.issues[0]!.path).toBe('tasks.qa.rungs[0].confidence');
      expect(err.issues[0]!.message).toContain('task "qa", rung 0');
      expect(err.issues[0]!.message).toContain(`"${source}" needs token logprobs`);
      expect(err.issues[0]!.message).toContain('model "haiku" is an Anthropic model');
      expect(err.message).toContain('Anthropic returns no logprobs');
    },
  );

  it('refuses it whatever the model says of logprobs (Anthropic has none to give)', () => {
    const text = withRung('{ model: haiku, confidence: answer_logprob, threshold: 0.7 }').replace(
      'logprobs: false',
      'logprobs: true',
    );
    expect(configError(text).issues[0]!.message).toContain('is an Anthropic model');
  });

  it('refuses a self_check rung too: its P(yes) is read from logprobs Anthropic does not return', () => {
    const err = configError(withRung('{ model: haiku, confidence: self_check, threshold: 0.7 }'));
    expect(err.issues[0]!.message).toContain('confidence "self_check" needs token logprobs');
  });

  it('lets judge rungs through, and an Anthropic model as the last rung', () => {
    expect(() =>
      parseConfig(withRung('{ model: haiku, confidence: judge, judge: judge, threshold: 0.7 }')),
    ).not.toThrow();
    const lastRung = `${models}
tasks:
  qa:
    route: cascade
    rungs:
      - { model: big, confidence: answer_logprob, threshold: 0.7 }
      - { model: haiku }
`;
    expect(() => parseConfig(lastRung)).not.toThrow();
  });

  it('still refuses an unknown provider', () => {
    const err = configError(
      withRung('{ model: haiku, confidence: judge, judge: judge, threshold: 0.7 }').replace(
        'provider: anthropic',
        'provider: claude',
      ),
    );
    expect(err.issues[0]!.path).toBe('models.haiku.provider');
  });
});
