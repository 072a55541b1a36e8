/**
 * Synthetic structured replies: JSON replies to a response schema (task `extract`) and tool-call
 * replies (task `tools`), with the failures models really make (a Markdown fence, prose after the
 * JSON, a number as a string, the wrong tool, arguments that are not JSON). Same row shape as the
 * other synthetic sets (./generate.ts); see data/synthetic/README.md.
 */
import {
  approxTokens,
  callFigures,
  logSigmoid,
  MODELS,
  selfCheckCostUsd,
  sig8,
  sigmoid,
  SYNTHETIC_SOURCE,
} from './models';
import type { ModelOutcome, SyntheticRow, ToolCallAnswer } from './models';
import { type Rng } from './rng';

/** The models that answer structured requests, cheapest first within each family. */
export const STRUCTURED_MODELS = ['llama3.1-8b', 'llama3.1-70b', 'llama3.1-405b', 'gpt-4o-mini', 'gpt-4o'];
/** Skill: the logit of a right reply on an average request. */
const SKILL: Record<string, number> = {
  'llama3.1-8b': 0.6,
  'llama3.1-70b': 1.8,
  'llama3.1-405b': 2.6,
  'gpt-4o-mini': 1.6,
  'gpt-4o': 3.0,
};
/** A small model fails on format more often than on content. */
const FORMAT_SLIPS: Record<string, number> = {
  'llama3.1-8b': 0.55,
  'llama3.1-70b': 0.3,
  'llama3.1-405b': 0.2,
  'gpt-4o-mini': 0.25,
  'gpt-4o': 0.1,
};

const FIRST = [
  'Ava',
  'Ben',
  'Chloe',
  'Daniel',
  'Emma',
  'Felix',
  'Gita',
  'Hugo',
  'Iris',
  'Jamal',
  'Kira',
  'Leo',
];
const LAST = [
  'Stone',
  'Okafor',
  'Lindqvist',
  'Moreau',
  'Tanaka',
  'Silva',
  'Novak',
  'Haddad',
  'Kowalski',
  'Reyes',
];
const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday'];

/** Python-style JSON text (", " and ": "), as the models in these sets write it. */
function pyJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(pyJson).join(', ')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.entries(v)
      .map(([k, x]) => `${JSON.stringify(k)}: ${pyJson(x)}`)
      .join(', ')}}`;
  }
  return JSON.stringify(v);
}

function outcome(
  model: string,
  answer: string | ToolCallAnswer,
  correct: boolean,
  tokensIn: number,
  rng: Rng,
  confidence: boolean,
): ModelOutcome {
  const m = MODELS[model]!;
  const text = typeof answer === 'string' ? answer : pyJson(answer);
  const tokensOut = approxTokens(text) + m.extraOut;
  const call = callFigures(model, tokensIn, tokensOut, rng);
  if (!confidence) {
    return {
      answer,
      correct,
      cost_usd: call.costUsd,
      latency_ms: call.latencyMs,
      tokens: { in: tokensIn, out: tokensOut },
    };
  }
  const logit = 2 + 0.6 * SKILL[model]! + (correct ? 2 : -2) + 2 * rng.gauss();
  return {
    answer,
    correct,
    raw_confidence: sig8(logSigmoid(logit)),
    confidence_kind: 'self_check_log_p_yes',
    // The recorded cost holds the reply and its yes/no check.
    cost_usd: call.costUsd + selfCheckCostUsd(model, tokensIn, text),
    latency_ms: call.latencyMs,
    tokens: { in: tokensIn, out: tokensOut },
  };
}

// ---------------------------------------------------------------------------------------------
// JSON replies

export const EXTRACT_SCHEMA = {
  type: 'object',
  properties: { name: { type: 'string' }, order: { type: 'integer' }, total: { type: 'number' } },
  required: ['name', 'order', 'total'],
  additionalProperties: false,
};

const EXTRACT_SYSTEM = 'You extract structured data from customer messages. Reply with JSON only.';
const EXTRACT_ASK =
  'Extract the customer\'s name, the order number and the amount paid from the message below. Reply with a JSON object with the keys "name" (string), "order" (integer) and "total" (number), and nothing else.';

interface Extraction {
  message: string;
  value: { name: string; order: number; total: number };
  /** A number in the message a careless reader takes for the total. */
  decoy: number;
  difficulty: number;
}

function extraction(rng: Rng): Extraction {
  const name = `${rng.pick(FIRST)} ${rng.pick(LAST)}`;
  const order = rng.int(10000, 99999);
  const total = rng.int(500, 60000) / 100;
  const count = rng.int(2, 9);
  const decoy = Math.round((total / count) * 100) / 100;
  const forms: [string, number][] = [
    [
      `Hello, my name is ${name} and I am writing about order #${order}. I was charged $${total} but the box arrived damaged.`,
      -0.8,
    ],
    [`Order ${order} (${name}): total paid $${total}. Please confirm delivery for ${rng.pick(DAYS)}.`, -0.4],
    [
      `${name} here. Can you refund order no. ${order}? I paid ${total} dollars for ${count} items at $${decoy} each, and ${count - 1} of them were missing.`,
      0.9,
    ],
    [
      `Hi! Two things: my old order ${order - rng.int(100, 900)} was fine, but order ${order}, which cost me $${total}, never came. Thanks, ${name}.`,
      1.3,
    ],
  ];
  const [message, difficulty] = rng.pick(forms);
  return { message, value: { name, order, total }, decoy, difficulty };
}

/** A wrong or malformed JSON reply, as small models write them. */
function wrongJson(x: Extraction, model: string, rng: Rng): string {
  const v = x.value;
  if (rng.chance(FORMAT_SLIPS[model]!)) {
    const body = pyJson(v);
    return rng.pick([
      '```json\n' + JSON.stringify(v, null, 2) + '\n```',
      `${body}\nLet me know if you need anything else.`,
      `Here is the extracted data: ${body}`,
      pyJson({ ...v, order: `#${v.order}` }),
      pyJson({ name: v.name, total: v.total }),
    ]);
  }
  return pyJson({ ...v, total: x.decoy === v.total ? v.total + 1 : x.decoy });
}

export function jsonReplyRows(rng: Rng, n = 60): SyntheticRow[] {
  const rows: SyntheticRow[] = [];
  for (let i = 0; i < n; i++) {
    const x = extraction(rng);
    const prompt = `${EXTRACT_ASK}\n\nMessage: ${x.message}\n\nJSON: `;
    const tokensIn = approxTokens(EXTRACT_SYSTEM + prompt);
    const models = Object.fromEntries(
      STRUCTURED_MODELS.map((model) => {
        const right = rng.chance(sigmoid(SKILL[model]! - x.difficulty));
        const answer = right ? pyJson(x.value) : wrongJson(x, model, rng);
        return [model, outcome(model, answer, right, tokensIn + MODELS[model]!.templateTokens, rng, true)];
      }),
    );
    rows.push({
      id: `syn-json-replies-${i}`,
      source: SYNTHETIC_SOURCE,
      task: 'extract',
      split: 'train',
      system: EXTRACT_SYSTEM,
      prompt,
      reference: pyJson(x.value),
      responseSchema: EXTRACT_SCHEMA,
      models,
    });
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------
// Tool calls

const fn = (name: string, description: string, properties: Record<string, unknown>, required: string[]) => ({
  type: 'function',
  function: { name, description, parameters: { type: 'object', properties, required } },
});

export const TOOLS = [
  fn(
    'get_weather',
    'The weather forecast for a city on a date.',
    { city: { type: 'string' }, date: { type: 'string', description: 'YYYY-MM-DD' } },
    ['city', 'date'],
  ),
  fn(
    'convert_currency',
    'Converts an amount of money between currencies (ISO 4217 codes).',
    { amount: { type: 'number' }, from: { type: 'string' }, to: { type: 'string' } },
    ['amount', 'from', 'to'],
  ),
  fn(
    'search_flights',
    'Flights between two cities on a date.',
    {
      origin: { type: 'string' },
      destination: { type: 'string' },
      date: { type: 'string', description: 'YYYY-MM-DD' },
    },
    ['origin', 'destination', 'date'],
  ),
  fn(
    'create_event',
    'Adds an event to the user’s calendar.',
    {
      title: { type: 'string' },
      date: { type: 'string', description: 'YYYY-MM-DD' },
      time: { type: 'string', description: 'HH:MM, 24-hour' },
    },
    ['title', 'date', 'time'],
  ),
];

const TOOLS_SYSTEM =
  'You are an assistant with tools. Call a tool when one is needed; otherwise answer briefly.';
const CITIES = [
  'Lisbon',
  'Oslo',
  'Nairobi',
  'Osaka',
  'Lima',
  'Krakow',
  'Montreal',
  'Hanoi',
  'Seville',
  'Perth',
];
const CURRENCY_CODES: [string, string][] = [
  ['euros', 'EUR'],
  ['US dollars', 'USD'],
  ['yen', 'JPY'],
  ['pounds', 'GBP'],
  ['Swiss francs', 'CHF'],
];
const NO_TOOL: [string, string][] = [
  ['What is the capital of Portugal?', 'Lisbon'],
  ['How many days are there in a leap year?', '366'],
  ['What is 12 times 12?', '144'],
  ['Which ocean is the largest?', 'The Pacific Ocean'],
  ['How many minutes are there in two hours?', '120'],
  ['What is the chemical symbol for gold?', 'Au'],
];

interface ToolRequest {
  prompt: string;
  /** The right reply: a call, or text when no tool is needed. */
  reference: ToolCallAnswer | string;
  difficulty: number;
  /** A wrong reply. */
  wrong(rng: Rng, model: string): ToolCallAnswer | string;
}

function date(rng: Rng): string {
  return `2026-${String(rng.int(1, 12)).padStart(2, '0')}-${String(rng.int(1, 28)).padStart(2, '0')}`;
}

function nextDay(d: string): string {
  const day = Number(d.slice(8)) + 1;
  return `${d.slice(0, 8)}${String(day).padStart(2, '0')}`;
}

function call(name: string, args: Record<string, unknown>, id?: string): ToolCallAnswer {
  return {
    tool_calls: [{ ...(id ? { id } : {}), type: 'function', function: { name, arguments: pyJson(args) } }],
  };
}

function toolRequest(rng: Rng): ToolRequest {
  const kind = rng.int(0, 4);
  if (kind === 0) {
    const city = rng.pick(CITIES);
    const d = date(rng);
    const args = { city, date: d };
    return {
      prompt: `What will the weather be like in ${city} on ${d}?`,
      reference: call('get_weather', args),
      difficulty: -1,
      wrong: (r) =>
        r.pick([
          call('get_weather', { city }),
          call('get_weather', { city, date: nextDay(d) }),
          `I cannot check live weather, but ${city} is usually mild at that time of year.`,
        ]),
    };
  }
  if (kind === 1) {
    const amount = rng.int(5, 2000);
    const [fromWord, from] = rng.pick(CURRENCY_CODES);
    const [toWord, to] = rng.pick(CURRENCY_CODES.filter(([, c]) => c !== from));
    const args = { amount, from, to };
    return {
      prompt: `How much is ${amount} ${fromWord} in ${toWord}?`,
      reference: call('convert_currency', args),
      difficulty: 0,
      wrong: (r) =>
        r.pick([
          call('convert_currency', { amount, from: to, to: from }),
          call('convert_currency', { amount, from: fromWord, to: toWord }),
          {
            tool_calls: [
              {
                type: 'function',
                function: {
                  name: 'convert_currency',
                  arguments: `{'amount': ${amount}, 'from': '${from}', 'to': '${to}'}`,
                },
              },
            ],
          },
        ]),
    };
  }
  if (kind === 2) {
    const [a, b] = rng.shuffle(CITIES).slice(0, 2) as [string, string];
    const d = date(rng);
    const args = { origin: a, destination: b, date: d };
    return {
      prompt: `Find me a flight from ${a} to ${b} on ${d}.`,
      reference: call('search_flights', args),
      difficulty: 0.4,
      wrong: (r) =>
        r.pick([
          call('search_flights', { origin: b, destination: a, date: d }),
          call('search_flights', { origin: a, destination: b }),
          call('get_weather', { city: b, date: d }),
        ]),
    };
  }
  if (kind === 3) {
    const title = rng.pick(['Dentist', 'Team lunch', 'Call with Priya', 'Piano lesson', 'Budget review']);
    const d = date(rng);
    const hour = rng.int(8, 18);
    const time = `${String(hour).padStart(2, '0')}:${rng.pick(['00', '15', '30', '45'])}`;
    const spoken = `${hour > 12 ? hour - 12 : hour}:${time.slice(3)} ${hour >= 12 ? 'pm' : 'am'}`;
    const args = { title, date: d, time };
    return {
      prompt: `Put "${title}" in my calendar on ${d} at ${spoken}.`,
      reference: call('create_event', args),
      difficulty: 0.9,
      wrong: (r) =>
        r.pick([
          call('create_event', { title, date: d, time: spoken }),
          call('create_event', { title, date: d }),
          `Done! "${title}" is in your calendar on ${d} at ${spoken}.`,
        ]),
    };
  }
  const [prompt, answer] = rng.pick(NO_TOOL);
  return {
    prompt,
    reference: answer,
    difficulty: -0.5,
    wrong: (r) =>
      r.pick([
        call('get_weather', { city: 'Lisbon', date: '2026-01-01' }),
        `I would need to use a tool to answer that.`,
      ]),
  };
}

export function toolCallRows(rng: Rng, n = 60): SyntheticRow[] {
  const rows: SyntheticRow[] = [];
  const seen = new Set<string>();
  while (rows.length < n) {
    const t = toolRequest(rng);
    if (seen.has(t.prompt)) continue;
    seen.add(t.prompt);
    const tokensIn = approxTokens(TOOLS_SYSTEM + t.prompt + JSON.stringify(TOOLS));
    const i = rows.length;
    const models = Object.fromEntries(
      STRUCTURED_MODELS.map((model, k) => {
        const right = rng.chance(sigmoid(SKILL[model]! + 0.5 - t.difficulty));
        let answer = right ? t.reference : t.wrong(rng, model);
        if (typeof answer !== 'string') {
          const id = `call_${(i * 16 + k).toString(16).padStart(4, '0')}${rng.int(0, 0xffff).toString(16).padStart(4, '0')}`;
          answer = { tool_calls: answer.tool_calls.map((c) => ({ id, ...c })) };
        }
        return [model, outcome(model, answer, right, tokensIn + MODELS[model]!.templateTokens, rng, false)];
      }),
    );
    rows.push({
      id: `syn-tool-calls-${i}`,
      source: SYNTHETIC_SOURCE,
      task: 'tools',
      split: 'train',
      system: TOOLS_SYSTEM,
      prompt: t.prompt,
      reference: t.reference,
      tools: TOOLS,
      models,
    });
  }
  return rows;
}
