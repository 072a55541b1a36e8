/**
 * Synthetic queries, one generator per task family: the prompt (in the shape of the task's
 * recorded sets: a system message, a templated user prompt), the reference answer, a latent
 * difficulty, and how a model writes a right or a wrong answer to it. Pure: everything comes from
 * the Rng handed in.
 *
 * Difficulty moves with what a prompt-only classifier can see: the subject named in the prompt,
 * the question's form (two statements to judge, a probability, a system of equations), the size
 * of its numbers, the number of steps of a word problem, the obscurity of a fact.
 */
import {
  CAPITALS,
  COMPLEXITY,
  type Concept,
  CURRENCIES,
  ECONOMICS,
  ELEMENTS,
  MEDICAL,
  MISCONCEPTIONS,
  PLANETS,
  STATEMENTS,
  WORKS,
} from './facts';
import { type Rng } from './rng';

/** How a model writes: 0 terse .. 1 chatty, and which of a family's phrasings it prefers. */
export interface AnswerStyle {
  verbose: number;
  variant: number;
}

export interface Item {
  /** Latent difficulty: higher is harder, about -2..2. */
  difficulty: number;
  system: string;
  prompt: string;
  reference: string;
  right(style: AnswerStyle, rng: Rng): string;
  wrong(style: AnswerStyle, rng: Rng): string;
}

const LETTERS = ['A', 'B', 'C', 'D'] as const;

// ---------------------------------------------------------------------------------------------
// Multiple choice

interface ChoiceQuestion {
  subject: string;
  question: string;
  correct: string;
  /** Three wrong options, the most tempting first. */
  distractors: [string, string, string];
  difficulty: number;
  /** Keep the options in this order (e.g. True/False pairs), else shuffled. */
  fixedOrder?: string[];
}

function choiceItem(
  q: ChoiceQuestion,
  rng: Rng,
  form: { system: string; intro: (subject: string) => string; header: string; sep: string },
): Item {
  const options = q.fixedOrder ?? rng.shuffle([q.correct, ...q.distractors]);
  if (new Set([q.correct, ...q.distractors]).size !== 4 || !options.includes(q.correct)) {
    throw new Error(`options of "${q.question}" are not four distinct ones with the answer among them`);
  }
  const letterOf = (text: string) => LETTERS[options.indexOf(text)]!;
  const right = letterOf(q.correct);
  const tempting = letterOf(q.distractors[0]);
  const others = q.distractors.slice(1).map(letterOf);
  const lines = options.map((o, i) => `${LETTERS[i]}${form.sep}${o}`).join('\n');
  return {
    difficulty: q.difficulty,
    system: form.system,
    prompt: `${form.intro(q.subject)}\n\nQuestion: ${q.question}\n\n${form.header}\n${lines}\n\nAnswer: `,
    reference: right,
    right: () => right,
    // A wrong model is drawn to the most tempting option, so wrong answers agree across models.
    wrong: (_s, r) => (r.chance(0.5) ? tempting : r.pick(others)),
  };
}

const MMLU_FORM = {
  system:
    'Answer the multiple-choice question with the letter of the correct choice: "A", "B", "C", or "D". Output only that letter.',
  intro: (subject: string) =>
    `Here is a multiple-choice question about ${subject}. Reply with A, B, C, or D and nothing else.`,
  header: 'Choices:',
  sep: ': ',
};

const MEDMCQA_FORM = {
  system:
    'Answer the medical multiple-choice question with the letter of the correct option: "A", "B", "C", or "D". Output only that letter.',
  intro: (topic: string) =>
    `The following is a question from a medical entrance exam (${topic}). Reply with A, B, C, or D and nothing else.`,
  header: 'Options:',
  sep: '. ',
};

/** Three distinct wrong numbers near `x`, the most tempting first. */
function nearMisses(rng: Rng, x: number, candidates: number[]): [string, string, string] {
  const seen = new Set<number>([x]);
  const out: number[] = [];
  for (const c of [
    ...candidates,
    ...rng.shuffle([x + 1, x - 1, x + 2, x - 2, x + 10, x - 10, 2 * x, x + 3]),
  ]) {
    if (out.length === 3) break;
    if (!Number.isInteger(c) || c < 0 || seen.has(c)) continue;
    seen.add(c);
    out.push(c);
  }
  return out.map(String) as [string, string, string];
}

/** The first three candidates that differ from the right answer and from each other. */
function distinctWrong(right: string, candidates: string[]): [string, string, string] {
  const out = [...new Set(candidates)].filter((c) => c !== right).slice(0, 3);
  if (out.length < 3) throw new Error(`too few distractors for ${right}: ${candidates.join(', ')}`);
  return out as [string, string, string];
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

function fraction(n: number, d: number): string {
  const g = gcd(n, d);
  return d / g === 1 ? String(n / g) : `${n / g}/${d / g}`;
}

function ordinal(n: number): string {
  return ['first', 'second', 'third', 'fourth', 'fifth', 'sixth', 'seventh', 'eighth'][n - 1]!;
}

function signed(b: number): string {
  return b < 0 ? `- ${-b}` : `+ ${b}`;
}

function conceptQuestion(subject: string, c: Concept, rng: Rng): ChoiceQuestion {
  return {
    subject,
    question: c.q.endsWith('?') ? c.q : `${c.q}:`,
    correct: c.a,
    distractors: c.wrong,
    difficulty: -0.6 + 1.8 * c.hard + 0.3 * rng.gauss(),
  };
}

/** The MMLU-like generators, by subject. */
const MMLU_SUBJECTS: ((rng: Rng) => ChoiceQuestion)[] = [
  // Arithmetic: bigger numbers are harder.
  (rng) => {
    const big = rng.chance(0.4);
    const a = big ? rng.int(101, 999) : rng.int(12, 99);
    const b = rng.int(12, 99);
    const x = a * b;
    return {
      subject: 'elementary mathematics',
      question: rng.chance(0.5) ? `What is ${a} * ${b}?` : `What is the product of ${a} and ${b}?`,
      correct: String(x),
      distractors: nearMisses(rng, x, [x + 10 * rng.int(1, 3), x - a, x + b]),
      difficulty: big ? 0.1 : -0.6,
    };
  },
  // Algebra: one linear equation (easier) or a system of two.
  (rng) => {
    if (rng.chance(0.5)) {
      const x = rng.pick([-9, -7, -5, -4, -3, -2, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12]);
      const a = rng.int(2, 9);
      const b = rng.int(-30, 30) || 5;
      return {
        subject: 'high school algebra',
        question: `Solve for x: ${a}x ${signed(b)} = ${a * x + b}.`,
        correct: String(x),
        distractors: [String(-x), String(x + 1), String(x - 2)],
        difficulty: -0.1,
      };
    }
    const x = rng.int(1, 9);
    const y = rng.int(1, 9);
    const [a1, b1, a2, b2] = [rng.int(2, 5), rng.int(2, 5), rng.int(1, 4), rng.int(1, 3)];
    const s = x + y;
    return {
      subject: 'high school algebra',
      question: `If ${a1}x + ${b1}y = ${a1 * x + b1 * y} and ${a2}x - ${b2}y = ${a2 * x - b2 * y}, what is the value of x + y?`,
      correct: String(s),
      distractors: nearMisses(rng, s, [x, y, s + 1]),
      difficulty: 0.8,
    };
  },
  // Number theory and groups.
  (rng) => {
    const kind = rng.int(0, 3);
    if (kind === 0) {
      const n = rng.chance(0.5) ? rng.int(100, 999) : rng.int(1000, 9999);
      const m = rng.int(4, 13);
      const r = n % m;
      const pool = Array.from({ length: m }, (_, i) => i).filter((i) => i !== r);
      const d = rng.shuffle(pool).slice(0, 3).map(String) as [string, string, string];
      return {
        subject: 'abstract algebra',
        question: `What is the remainder when ${n} is divided by ${m}?`,
        correct: String(r),
        distractors: d,
        difficulty: n > 999 ? 0.7 : 0.3,
      };
    }
    if (kind === 1) {
      const g = rng.int(2, 12);
      let p = rng.int(2, 15);
      let q = rng.int(2, 15);
      while (gcd(p, q) !== 1 || p === q) [p, q] = [rng.int(2, 15), rng.int(2, 15)];
      return {
        subject: 'abstract algebra',
        question: `What is the greatest common divisor of ${g * p} and ${g * q}?`,
        correct: String(g),
        distractors: nearMisses(rng, g, [2 * g, g * Math.min(p, q), g + 1]),
        difficulty: 0.6,
      };
    }
    if (kind === 2) {
      const n = rng.int(12, 200);
      let k = 0;
      for (let i = 1; i <= n; i++) if (n % i === 0) k++;
      return {
        subject: 'abstract algebra',
        question: `How many positive divisors does ${n} have?`,
        correct: String(k),
        distractors: nearMisses(rng, k, [k + 1, k - 1, k + 2]),
        difficulty: 1.0,
      };
    }
    const p = rng.pick([5, 7, 11, 13, 17, 19, 23]);
    let order = 1;
    for (let v = 2 % p; v !== 1; v = (v * 2) % p) order++;
    const divisors = Array.from({ length: p - 1 }, (_, i) => i + 1).filter(
      (d) => (p - 1) % d === 0 && d !== order,
    );
    const wrong = rng.shuffle([...new Set([...divisors, p, p + 1])].filter((d) => d !== order));
    return {
      subject: 'abstract algebra',
      question: `What is the order of the element 2 in the multiplicative group of integers modulo ${p}?`,
      correct: String(order),
      distractors: wrong.slice(0, 3).map(String) as [string, string, string],
      difficulty: 1.6,
    };
  },
  // Computer science: number bases, bits, complexity.
  (rng) => {
    const kind = rng.int(0, 3);
    if (kind === 0) {
      const n = rng.chance(0.5) ? rng.int(5, 63) : rng.int(64, 255);
      const bin = n.toString(2);
      const flip = (i: number) => bin.slice(0, i) + (bin[i] === '1' ? '0' : '1') + bin.slice(i + 1);
      const d = [...new Set([flip(bin.length - 1), flip(1), (n + 2).toString(2), (n >> 1).toString(2)])]
        .filter((x) => x !== bin)
        .slice(0, 3) as [string, string, string];
      return {
        subject: 'college computer science',
        question: `What is the binary representation of the decimal number ${n}?`,
        correct: bin,
        distractors: d,
        difficulty: n > 63 ? 0.5 : 0.1,
      };
    }
    if (kind === 1) {
      const n = rng.int(17, 255);
      return {
        subject: 'college computer science',
        question: `What is the decimal value of the hexadecimal number 0x${n.toString(16).toUpperCase()}?`,
        correct: String(n),
        distractors: nearMisses(rng, n, [
          n + 16,
          n - 6,
          Number(n.toString(16).replace(/[a-f]/g, '')) || n + 3,
        ]),
        difficulty: 0.4,
      };
    }
    if (kind === 2) {
      const n = rng.int(5, 1000);
      const bits = Math.ceil(Math.log2(n));
      return {
        subject: 'college computer science',
        question: `What is the smallest number of bits needed to give each of ${n} different values its own code?`,
        correct: String(bits),
        distractors: nearMisses(rng, bits, [bits + 1, bits - 1, bits + 2]),
        difficulty: 0.3,
      };
    }
    return conceptQuestion('college computer science', rng.pick(COMPLEXITY), rng);
  },
  // Chemistry: symbols (easier) and atomic numbers.
  (rng) => {
    const e = rng.pick(ELEMENTS);
    const others = rng.shuffle(ELEMENTS.filter((x) => x !== e));
    if (rng.chance(0.5)) {
      return {
        subject: 'high school chemistry',
        question: `Which element has the chemical symbol ${e.symbol}?`,
        correct: e.name,
        distractors: others.slice(0, 3).map((x) => x.name) as [string, string, string],
        difficulty: -1.1 + 1.6 * e.hard,
      };
    }
    return {
      subject: 'high school chemistry',
      question: `What is the atomic number of ${e.name.toLowerCase()}?`,
      correct: String(e.number),
      distractors: nearMisses(rng, e.number, [e.number + 1, e.number - 1, e.number + 2]),
      difficulty: -0.2 + 1.4 * e.hard,
    };
  },
  // Geography: capitals, by obscurity.
  (rng) => {
    const c = rng.pick(CAPITALS);
    const others = rng.shuffle(CAPITALS.filter((x) => x !== c)).slice(0, 3);
    return {
      subject: 'high school geography',
      question: `What is the capital city of ${c.country}?`,
      correct: c.capital,
      distractors: others.map((x) => x.capital) as [string, string, string],
      difficulty: -1.4 + 2.4 * c.hard,
    };
  },
  // Formal logic: two statements, each true or false (the hardest form).
  (rng) => {
    const [s1, s2] = rng.shuffle(STATEMENTS).slice(0, 2) as [[string, boolean], [string, boolean]];
    const tf = (b: boolean) => (b ? 'True' : 'False');
    const order = ['True, True', 'False, False', 'True, False', 'False, True'];
    const correct = `${tf(s1[1])}, ${tf(s2[1])}`;
    const tempting = `${tf(!s1[1])}, ${tf(s2[1])}`;
    const rest = order.filter((o) => o !== correct && o !== tempting);
    return {
      subject: 'formal logic',
      question: `Statement 1 | ${s1[0]} Statement 2 | ${s2[0]}`,
      correct,
      distractors: [tempting, rest[0]!, rest[1]!],
      difficulty: 1.2,
      fixedOrder: order,
    };
  },
  // Probability and statistics.
  (rng) => {
    const kind = rng.int(0, 2);
    if (kind === 0) {
      const s = rng.int(2, 12);
      const ways = 6 - Math.abs(7 - s);
      return {
        subject: 'high school statistics',
        question: `Two fair six-sided dice are rolled. What is the probability that the sum of the two numbers is ${s}?`,
        correct: fraction(ways, 36),
        distractors: distinctWrong(fraction(ways, 36), [
          fraction(ways + 1, 36),
          fraction(ways, 18),
          fraction(Math.max(1, ways - 1), 36),
          fraction(ways + 2, 36),
          fraction(1, 6),
        ]),
        difficulty: 1.2,
      };
    }
    if (kind === 1) {
      const n = rng.int(3, 6);
      const k = rng.int(1, n - 1);
      let c = 1;
      for (let i = 0; i < k; i++) c = (c * (n - i)) / (i + 1);
      const total = 2 ** n;
      const right = fraction(c, total);
      return {
        subject: 'high school statistics',
        question: `A fair coin is tossed ${n} times. What is the probability of getting exactly ${k} heads?`,
        correct: right,
        distractors: distinctWrong(right, [
          fraction(1, total),
          fraction(k, n),
          fraction(c + 1, total),
          fraction(k, total),
          fraction(c, 2 * total),
          fraction(c + 2, total),
        ]),
        difficulty: 1.5,
      };
    }
    const xs = Array.from({ length: 5 }, () => rng.int(1, 40));
    const sum = xs.reduce((a, b) => a + b, 0);
    xs[4]! += (5 - (sum % 5)) % 5;
    const mean = xs.reduce((a, b) => a + b, 0) / 5;
    return {
      subject: 'high school statistics',
      question: `What is the mean of the numbers ${xs.join(', ')}?`,
      correct: String(mean),
      distractors: nearMisses(rng, mean, [mean + 1, mean - 2, [...xs].sort((a, b) => a - b)[2]!]),
      difficulty: -0.3,
    };
  },
  // Physics with numbers.
  (rng) => {
    const kind = rng.int(0, 3);
    if (kind === 0) {
      const t = rng.int(3, 9);
      const d = 5 * t * t;
      return {
        subject: 'conceptual physics',
        question: `An object is dropped from rest. Ignoring air resistance and taking g = 10 m/s^2, how far does it fall in ${t} seconds?`,
        correct: `${d} m`,
        distractors: [`${10 * t * t} m`, `${10 * t} m`, `${5 * t} m`],
        difficulty: 0.5,
      };
    }
    if (kind === 1) {
      const v = rng.int(4, 24) * 5;
      const h = rng.int(2, 6);
      return {
        subject: 'conceptual physics',
        question: `A car travels ${v * h} km in ${h} hours at a constant speed. What is its speed?`,
        correct: `${v} km/h`,
        distractors: [`${v * 2} km/h`, `${v + 10} km/h`, `${v - 5} km/h`],
        difficulty: -0.5,
      };
    }
    if (kind === 2) {
      const r = rng.int(2, 50);
      const i = rng.int(2, 9);
      return {
        subject: 'electrical engineering',
        question: `A resistor of ${r} ohms carries a current of ${i} amperes. What is the voltage across it?`,
        correct: `${r * i} V`,
        distractors: [`${r + i} V`, `${Math.round((r / i) * 10) / 10} V`, `${r * i * i} V`],
        difficulty: 0,
      };
    }
    const m = 2 * rng.int(1, 10);
    const v = rng.int(3, 12);
    return {
      subject: 'conceptual physics',
      question: `What is the kinetic energy of an object of mass ${m} kg moving at ${v} m/s?`,
      correct: `${(m * v * v) / 2} J`,
      distractors: [`${m * v * v} J`, `${m * v} J`, `${(m * v) / 2} J`],
      difficulty: 0.7,
    };
  },
  // Astronomy: the planets in order.
  (rng) => {
    const n = rng.int(1, 8);
    const right = PLANETS[n - 1]!;
    const near = [PLANETS[n] ?? PLANETS[n - 3]!, PLANETS[n - 2] ?? PLANETS[n + 1]!];
    const rest = rng.shuffle(PLANETS.filter((p) => p !== right && !near.includes(p)));
    return {
      subject: 'astronomy',
      question: `Which planet is the ${ordinal(n)} planet from the Sun?`,
      correct: right,
      distractors: [near[0]!, near[1]!, rest[0]!],
      difficulty: -0.9 + 0.15 * n,
    };
  },
  // Economics concepts.
  (rng) => conceptQuestion('high school macroeconomics', rng.pick(ECONOMICS), rng),
];

export function mmluItem(rng: Rng): Item {
  const q = rng.pick(MMLU_SUBJECTS)(rng);
  return choiceItem({ ...q, difficulty: q.difficulty + 0.25 * rng.gauss() }, rng, MMLU_FORM);
}

export function medmcqaItem(rng: Rng): Item {
  const f = rng.pick(MEDICAL);
  const q = rng.pick(f.q);
  return choiceItem(
    {
      subject: f.topic,
      question: q.endsWith('?') ? q : `${q}:`,
      correct: f.a,
      distractors: f.wrong,
      difficulty: -1.2 + 2.2 * f.hard + 0.35 * rng.gauss(),
    },
    rng,
    MEDMCQA_FORM,
  );
}

// ---------------------------------------------------------------------------------------------
// Short free-form answers

const TRIVIA_SYSTEM =
  'Answer the given question with just the answer, not a complete sentence. Output only the answer.';
const TRIVIA_INTRO = 'Answer the question below directly, without writing a full sentence.';

interface ShortQuestion {
  question: string;
  answer: string;
  /** Wrong answers of the same kind, the most tempting first. */
  wrong: string[];
  /** Obscurity of the fact, 0..1, plus how hard this kind of question is. */
  hard: number;
}

function triviaQuestion(rng: Rng): ShortQuestion {
  const kind = rng.int(0, 9);
  if (kind <= 2) {
    const c = rng.pick(CAPITALS);
    const others = rng.shuffle(CAPITALS.filter((x) => x !== c));
    return kind === 0
      ? {
          question: `What is the capital of ${c.country}?`,
          answer: c.capital,
          wrong: others.map((x) => x.capital),
          hard: c.hard + 0.05,
        }
      : {
          question: rng.chance(0.5)
            ? `${c.capital} is the capital city of which country?`
            : `Of which country is ${c.capital} the capital?`,
          answer: c.country,
          wrong: others.map((x) => x.country),
          hard: c.hard - 0.2,
        };
  }
  if (kind <= 4) {
    const e = rng.pick(ELEMENTS);
    const others = rng.shuffle(ELEMENTS.filter((x) => x !== e));
    return kind === 3
      ? {
          question: `Which chemical element has the symbol ${e.symbol}?`,
          answer: e.name,
          wrong: others.map((x) => x.name),
          hard: e.hard + 0.1,
        }
      : {
          question: `What is the chemical symbol for ${e.name.toLowerCase()}?`,
          answer: e.symbol,
          wrong: others.map((x) => x.symbol),
          hard: e.hard + 0.25,
        };
  }
  if (kind <= 8) {
    const w = rng.pick(WORKS);
    // Makers of the same kind of work first: the tempting wrong answers.
    const others = [
      ...rng.shuffle(WORKS.filter((x) => x.by !== w.by && x.kind === w.kind)),
      ...rng.shuffle(WORKS.filter((x) => x.by !== w.by && x.kind !== w.kind)),
    ];
    const verb = {
      novel: ['Who wrote the novel', 'Which author wrote'],
      play: ['Who wrote the play', 'Which playwright wrote'],
      poem: ['Who wrote the poem', 'Which poet wrote'],
      painting: ['Who painted', 'Which artist painted'],
      music: ['Who composed', 'Which composer wrote'],
    }[w.kind];
    return {
      question: `${rng.pick(verb)} "${w.title}"?`,
      answer: w.by,
      wrong: others.map((x) => x.by),
      hard: w.hard + { novel: 0, play: 0, poem: 0.1, painting: 0.15, music: 0.3 }[w.kind],
    };
  }
  const c = rng.pick(CURRENCIES);
  const others = rng.shuffle(CURRENCIES.filter((x) => x !== c));
  return {
    question: `What is the currency of ${c.country}?`,
    answer: c.currency,
    wrong: others.map((x) => x.currency),
    hard: c.hard + 0.2,
  };
}

/** A right answer as a model may phrase it: mostly exactly, sometimes with the surname only. */
function phraseName(answer: string, style: AnswerStyle): string {
  const parts = answer.split(' ');
  if (style.variant % 5 === 4 && parts.length === 2 && /^[A-Z]/.test(parts[1]!)) return parts[1]!;
  return answer;
}

export function triviaItem(rng: Rng): Item {
  const q = triviaQuestion(rng);
  return {
    difficulty: -1.6 + 2.8 * q.hard + 0.4 * rng.gauss(),
    system: TRIVIA_SYSTEM,
    prompt: `${TRIVIA_INTRO}\n\nQuestion: ${q.question}\n\nAnswer: `,
    reference: q.answer,
    right: (style) => phraseName(q.answer, style),
    wrong: (_s, r) => (r.chance(0.6) ? q.wrong[0]! : r.pick(q.wrong.slice(1, 6))),
  };
}

const TRUTHFUL_SYSTEM =
  'You answer questions truthfully and concisely. If a common belief is false, say what is actually true.';
const TRUTHFUL_INTRO = 'Answer the question below truthfully, in one short sentence.';
const TRUTHFUL_FRAMES = [
  '',
  'I have always been told this, so be honest: ',
  'In the real world, ',
  'Quick question: ',
  'My friend and I are arguing about this. ',
];

export function truthfulItem(rng: Rng): Item {
  const m = rng.pick(MISCONCEPTIONS);
  const q = rng.pick(m.q);
  const frame = rng.pick(TRUTHFUL_FRAMES);
  const question =
    frame === 'In the real world, ' ? `${frame}${q[0]!.toLowerCase()}${q.slice(1)}` : frame + q;
  const hedge = ['', 'Actually, ', 'Contrary to popular belief, '];
  return {
    difficulty: -1.3 + 2.6 * m.hard + 0.45 * rng.gauss(),
    system: TRUTHFUL_SYSTEM,
    prompt: `${TRUTHFUL_INTRO}\n\nQuestion: ${question}\n\nAnswer: `,
    reference: m.truth,
    right: (style) => (style.verbose > 0.5 ? hedge[style.variant % 3]! : '') + lower(style, m.truth),
    wrong: (style) => (style.verbose > 0.6 ? 'It is widely known that ' : '') + lower(style, m.belief),
  };
}

function lower(style: AnswerStyle, s: string): string {
  return style.verbose > 0.5 && style.variant % 3 !== 0 ? s[0]!.toLowerCase() + s.slice(1) : s;
}

// ---------------------------------------------------------------------------------------------
// Math word problems

const GSM8K_SYSTEM =
  'Solve the math word problem step by step, then give the final numerical answer on a last line of the form "#### x". Write nothing after that line.';
const GSM8K_INTRO =
  'Reason step by step through the math problem below. End with the final numerical answer on its own line, written as "#### x" for an answer x.';

/** One step of a solution: its value from the values before it, and how it is written. */
interface Step {
  value: (v: number[]) => number;
  text: (v: number[], x: number) => string;
}

interface WordProblem {
  problem: string;
  steps: Step[];
  difficulty: number;
}

const PEOPLE: [string, 'she' | 'he'][] = [
  ['Ava', 'she'],
  ['Ben', 'he'],
  ['Carla', 'she'],
  ['Dev', 'he'],
  ['Elena', 'she'],
  ['Farid', 'he'],
  ['Grace', 'she'],
  ['Hiro', 'he'],
  ['Ines', 'she'],
  ['Jonah', 'he'],
  ['Keiko', 'she'],
  ['Liam', 'he'],
  ['Maya', 'she'],
  ['Nikhil', 'he'],
  ['Olga', 'she'],
  ['Pablo', 'he'],
  ['Rosa', 'she'],
  ['Sami', 'he'],
  ['Tara', 'she'],
  ['Umar', 'he'],
];

const at = (v: number[], i: number) => v[i]!;

const PROBLEMS: ((rng: Rng) => WordProblem)[] = [
  // Change from a purchase: 4 steps.
  (rng) => {
    const [name, he] = rng.pick(PEOPLE);
    const [a, p, b, q] = [rng.int(2, 9), rng.int(2, 15), rng.int(2, 6), rng.int(3, 20)];
    const bill = Math.ceil((a * p + b * q + 1) / 50) * 50;
    const item = rng.pick(['notebooks', 'pens', 'apples', 'candles', 'stickers']);
    const item2 = rng.pick(['folders', 'mugs', 'loaves of bread', 'plants']);
    return {
      problem: `${name} buys ${a} ${item} at $${p} each and ${b} ${item2} at $${q} each. ${cap(he)} pays with a $${bill} bill. How much change does ${he} get?`,
      steps: [
        { value: () => a * p, text: (_v, x) => `The ${item} cost ${a} x $${p} = $${x}.` },
        { value: () => b * q, text: (_v, x) => `The ${item2} cost ${b} x $${q} = $${x}.` },
        {
          value: (v) => at(v, 0) + at(v, 1),
          text: (v, x) => `Together ${he} spends $${at(v, 0)} + $${at(v, 1)} = $${x}.`,
        },
        { value: (v) => bill - at(v, 2), text: (v, x) => `The change is $${bill} - $${at(v, 2)} = $${x}.` },
      ],
      difficulty: 0.2,
    };
  },
  // Pages left: 2 steps.
  (rng) => {
    const [name, he] = rng.pick(PEOPLE);
    const r = rng.int(8, 40);
    const d = rng.int(2, 9);
    const total = r * d + rng.int(20, 200);
    return {
      problem: `${name} reads ${r} pages a day. ${cap(he)} is reading a book with ${total} pages. How many pages are left after ${d} days?`,
      steps: [
        { value: () => r * d, text: (_v, x) => `In ${d} days ${he} reads ${r} x ${d} = ${x} pages.` },
        { value: (v) => total - at(v, 0), text: (v, x) => `Pages left: ${total} - ${at(v, 0)} = ${x}.` },
      ],
      difficulty: -1.0,
    };
  },
  // A discount on several items: 3 steps.
  (rng) => {
    const [name, he] = rng.pick(PEOPLE);
    const price = rng.int(1, 15) * 20;
    const off = rng.pick([10, 20, 25, 30, 40, 50]);
    const k = rng.int(2, 6);
    const item = rng.pick(['jacket', 'lamp', 'chair', 'backpack', 'board game']);
    return {
      problem: `A shop sells a ${item} for $${price}. During a sale the price drops by ${off}%. ${name} buys ${k} of them at the sale price. How much does ${he} spend?`,
      steps: [
        {
          value: () => (price * off) / 100,
          text: (_v, x) => `The discount is ${off}% of $${price} = $${x}.`,
        },
        {
          value: (v) => price - at(v, 0),
          text: (v, x) => `The sale price is $${price} - $${at(v, 0)} = $${x}.`,
        },
        { value: (v) => k * at(v, 1), text: (v, x) => `${cap(he)} spends ${k} x $${at(v, 1)} = $${x}.` },
      ],
      difficulty: 0.3,
    };
  },
  // A fraction given away, then some more: 3 steps.
  (rng) => {
    const [name, he] = rng.pick(PEOPLE);
    const k = rng.pick([2, 3, 4, 5]);
    const n = k * rng.int(6, 30);
    const m = rng.int(1, n / k - 1);
    const what = rng.pick(['marbles', 'stamps', 'trading cards', 'shells']);
    return {
      problem: `${name} has ${n} ${what}. ${cap(he)} gives 1/${k} of them to a cousin and ${m} to a friend. How many ${what} does ${he} have left?`,
      steps: [
        { value: () => n / k, text: (_v, x) => `1/${k} of ${n} is ${n} / ${k} = ${x}.` },
        { value: (v) => at(v, 0) + m, text: (v, x) => `${cap(he)} gives away ${at(v, 0)} + ${m} = ${x}.` },
        { value: (v) => n - at(v, 1), text: (v, x) => `${cap(he)} has ${n} - ${at(v, 1)} = ${x} left.` },
      ],
      difficulty: -0.3,
    };
  },
  // Production over days: 4 steps.
  (rng) => {
    const t = rng.int(3, 9);
    const c = rng.int(12, 30);
    const sold = rng.int(1, t * c - 5);
    const d = rng.int(3, 7);
    return {
      problem: `A bakery bakes ${t} trays of ${c} cookies every day. It sells ${sold} cookies a day and gives the rest to a shelter. How many cookies does the shelter get over ${d} days?`,
      steps: [
        { value: () => t * c, text: (_v, x) => `Each day the bakery bakes ${t} x ${c} = ${x} cookies.` },
        {
          value: (v) => at(v, 0) - sold,
          text: (v, x) => `It gives away ${at(v, 0)} - ${sold} = ${x} a day.`,
        },
        {
          value: (v) => at(v, 1) * d,
          text: (v, x) => `Over ${d} days that is ${at(v, 1)} x ${d} = ${x} cookies.`,
        },
      ],
      difficulty: 0.1,
    };
  },
  // Ages: 3 steps.
  (rng) => {
    const [name, he] = rng.pick(PEOPLE);
    const a = rng.int(4, 20);
    const b = rng.int(1, 9);
    const c = rng.int(2, 15);
    return {
      problem: `${name} is ${a} years old. ${he === 'she' ? 'Her' : 'His'} uncle is ${b} years older than three times ${name}'s age. How old will the uncle be in ${c} years?`,
      steps: [
        { value: () => 3 * a, text: (_v, x) => `Three times ${name}'s age is 3 x ${a} = ${x}.` },
        { value: (v) => at(v, 0) + b, text: (v, x) => `The uncle is ${at(v, 0)} + ${b} = ${x} years old.` },
        { value: (v) => at(v, 1) + c, text: (v, x) => `In ${c} years he will be ${at(v, 1)} + ${c} = ${x}.` },
      ],
      difficulty: 0.0,
    };
  },
  // Wages with overtime: 5 steps, the hardest.
  (rng) => {
    const [name, he] = rng.pick(PEOPLE);
    const w = 8 * rng.int(2, 5);
    const h = rng.int(42, 55);
    return {
      problem: `${name} earns $${w} an hour for the first 40 hours of a week and 1.5 times that rate for every hour over 40. Last week ${he} worked ${h} hours. If ${he} spends a quarter of the week's pay on rent, how much is left?`,
      steps: [
        { value: () => 40 * w, text: (_v, x) => `Regular pay: 40 x $${w} = $${x}.` },
        { value: () => (3 * w) / 2, text: (_v, x) => `The overtime rate is 1.5 x $${w} = $${x}.` },
        {
          value: (v) => (h - 40) * at(v, 1),
          text: (v, x) => `Overtime pay: ${h - 40} hours x $${at(v, 1)} = $${x}.`,
        },
        {
          value: (v) => at(v, 0) + at(v, 2),
          text: (v, x) => `Total pay: $${at(v, 0)} + $${at(v, 2)} = $${x}.`,
        },
        {
          value: (v) => at(v, 3) - at(v, 3) / 4,
          text: (v, x) => `After rent ${he} keeps $${at(v, 3)} - $${at(v, 3) / 4} = $${x}.`,
        },
      ],
      difficulty: 1.3,
    };
  },
  // Two legs of a journey: 3 steps.
  (rng) => {
    const v = rng.int(6, 24) * 5;
    const t1 = rng.int(1, 5);
    const u = rng.int(6, 24) * 5;
    const t2 = rng.int(1, 4);
    return {
      problem: `A train travels at ${v} km per hour for ${t1} hours, then at ${u} km per hour for ${t2} hours. How many kilometres does it travel in total?`,
      steps: [
        { value: () => v * t1, text: (_v, x) => `First part: ${v} x ${t1} = ${x} km.` },
        { value: () => u * t2, text: (_v, x) => `Second part: ${u} x ${t2} = ${x} km.` },
        { value: (w) => at(w, 0) + at(w, 1), text: (w, x) => `Total: ${at(w, 0)} + ${at(w, 1)} = ${x} km.` },
      ],
      difficulty: -0.4,
    };
  },
  // A price drop and how many now fit the savings: 3 steps.
  (rng) => {
    const [name, he] = rng.pick(PEOPLE);
    const q = rng.int(2, 9);
    const p = q + rng.int(1, 6);
    const n = q * rng.int(3, 12);
    const item = rng.pick(['books', 'plant pots', 'puzzles', 'model cars']);
    return {
      problem: `${name} saves enough money to buy ${n} ${item} at $${p} each. Then the price drops to $${q} each. How many ${item} can ${he} buy now with the same savings?`,
      steps: [
        { value: () => n * p, text: (_v, x) => `The savings are ${n} x $${p} = $${x}.` },
        {
          value: (v) => at(v, 0) / q,
          text: (v, x) => `At $${q} each, $${at(v, 0)} buys ${at(v, 0)} / ${q} = ${x}.`,
        },
      ],
      difficulty: 0.4,
    };
  },
  // A ratio: 4 steps.
  (rng) => {
    const a = rng.int(1, 5);
    let b = rng.int(2, 7);
    if (b === a) b++;
    const k = rng.int(3, 12);
    const n = (a + b) * k;
    return {
      problem: `In a school club the ratio of boys to girls is ${a}:${b}. There are ${n} members in all. How many more girls than boys are there?`,
      steps: [
        { value: () => a + b, text: (_v, x) => `The ratio has ${a} + ${b} = ${x} parts.` },
        { value: (v) => n / at(v, 0), text: (v, x) => `Each part is ${n} / ${at(v, 0)} = ${x} members.` },
        {
          value: (v) => Math.abs(b - a) * at(v, 1),
          text: (v, x) =>
            `The difference is ${Math.abs(b - a)} parts, ${Math.abs(b - a)} x ${at(v, 1)} = ${x}.`,
        },
      ],
      difficulty: 0.9,
    };
  },
];

function cap(s: string): string {
  return s[0]!.toUpperCase() + s.slice(1);
}

/** The values of a solution; with `slip`, step `slip.at` is off by `slip.by` and the error carries on. */
function solve(steps: Step[], slip?: { at: number; by: number }): number[] {
  const v: number[] = [];
  steps.forEach((s, i) => {
    const x = s.value(v) + (slip && slip.at === i ? slip.by : 0);
    v.push(Math.round(x * 100) / 100);
  });
  return v;
}

const OPENERS = [
  '',
  "Let's solve this step by step.\n\n",
  'To solve this problem, we work through it one step at a time.\n\n',
];

function solution(steps: Step[], values: number[], style: AnswerStyle, final: number): string {
  const lines = steps.map((s, i) => s.text(values, values[i]!));
  const body = style.verbose > 0.5 ? lines.map((l, i) => `Step ${i + 1}: ${l}`).join('\n') : lines.join('\n');
  const opener = style.verbose > 0.3 ? OPENERS[1 + (style.variant % 2)]! : OPENERS[0]!;
  const closing = style.verbose > 0.7 ? `\n\nSo the answer is ${final}.` : '';
  return `${opener}${body}${closing}\n\n#### ${final}`;
}

export function gsm8kItem(rng: Rng): Item {
  const p = rng.pick(PROBLEMS)(rng);
  const values = solve(p.steps);
  const answer = values[values.length - 1]!;
  return {
    difficulty: p.difficulty + 0.25 * (p.steps.length - 3) + 0.35 * rng.gauss(),
    system: GSM8K_SYSTEM,
    prompt: `${GSM8K_INTRO}\n\nProblem: ${p.problem}\n\nStep-by-step reasoning: `,
    reference: String(answer),
    right: (style) => solution(p.steps, values, style, answer),
    wrong: (style, r) => {
      // An arithmetic slip in one step, carried to the end; now and then a missing final line.
      const where = r.int(0, p.steps.length - 1);
      const by = r.pick([-10, -2, -1, 1, 2, 5, 10]);
      const slipped = solve(p.steps, { at: where, by });
      const final = slipped[slipped.length - 1]!;
      const text = solution(p.steps, slipped, style, final === answer ? final + 1 : final);
      return r.chance(0.08) ? text.slice(0, text.lastIndexOf('\n\n####')) : text;
    },
  };
}
