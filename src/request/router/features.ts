/**
 * Features of a prompt for the pre-route decision. Pure and cheap: they run on every request
 * inside the classify activity, and the same functions run offline when a classifier is trained
 * (src/tools/calibrate/), so a model sees at serving time exactly what it was trained on.
 *
 * - Structural features need no labelled data (the field report's cold-start signals): size,
 *   distinct instructions, nested conditions, enumerations, code, requested output format, tool
 *   definitions, questions, language. `ruleComplexity` turns them into the rules-v1 baseline.
 * - Hashed lexical features carry task type and intent: word unigrams and bigrams, hashed into
 *   a fixed number of buckets (the "hashing trick"), so there is no vocabulary to ship or to
 *   drift: the same text always lands in the same buckets on every machine.
 *
 * Linear time on any input, and bounded: a request body may hold a megabyte of prompt, and these
 * functions run synchronously on a worker's event loop. Every feature but `approxTokens` reads at
 * most FEATURE_TEXT_LIMIT characters (the first and last halves of a longer prompt), and no regex
 * here backtracks more than a constant number of times per character: the line-anchored patterns
 * (`^\s*...`, which a regex engine retries from every line start of a run of blank lines, quadratic
 * in its length) are matched by `countLineAnchored`, which skips each run of whitespace once. The
 * values are those of the regexes they replace (test/unit/features-linear.test.ts compares them on
 * the shipped data and on adversarial inputs), so classifiers trained before stay valid.
 */
import type { ChatMessage } from '../providers/types';

export const RULES_CLASSIFIER_VERSION = 'rules-v1';

export interface StructuralFeatures {
  approxTokens: number;
  messages: number;
  hasSystem: number;
  questions: number;
  instructions: number;
  /** How many different instruction verbs the prompt uses ("list", "explain", ...). */
  distinctInstructions: number;
  conditions: number;
  /** Sentences with two or more conditions ("if ..., unless ..."): conditions inside conditions. */
  nestedConditions: number;
  enumerations: number;
  codeBlocks: number;
  asksForJson: number;
  /** The requested output format, one flag each (several can be set). */
  formatList: number;
  formatTable: number;
  formatCode: number;
  formatNumber: number;
  formatChoice: number;
  formatYesNo: number;
  /** Tool / function definitions in the prompt (`"parameters": {...}` or `"input_schema": {...}`). */
  toolDefinitions: number;
  digits: number;
  /** Math operators and LaTeX commands: arithmetic and derivations. */
  mathSymbols: number;
  /**
   * Proportional reasoning, which weaker models get wrong more often than arithmetic of the same
   * length: fraction words ("half", "two thirds", "a quarter of"; a whole run of ASCII letters,
   * either case) and written fractions (a slash between two digits, "3/4").
   * Counted as one feature because each word is rare: 200 labelled rows hold too few of any one
   * of them for its hashed bucket to learn a weight (issue #15; bench/README.md, "routing").
   */
  fractions: number;
  /** Percentages and ratios ("%", "percent(age)(s)", "ratio(s)", "proportion(s)"): the same reasoning, kept apart. */
  percentages: number;
  words: number;
  /** Share (0..1, 3 decimals) of letters outside ASCII. */
  nonAsciiLetters: number;
  /** The dominant script of the letters: one flag each (all 0 for Latin). */
  scriptCjk: number;
  scriptCyrillic: number;
  scriptArabic: number;
  scriptOther: number;
}

const INSTRUCTION_VERBS =
  'write|explain|list|give|answer|output|return|summari[sz]e|describe|compare|calculate|compute|find|translate|rewrite|classify|extract|generate|reason|think|show|format|respond|choose|select|correctly';
/**
 * An instruction opening a line: `^\s*` + this (flags `gim`), counted by countLineAnchored.
 * Sticky: it is tried only where a line's leading whitespace ends (instructionLineEnd). The
 * features' other line patterns, enumerations (`^\s*(?:[A-Ha-h][:.)]|\d+[.)]|[-*•])\s+`, flags
 * `gm`) and option lines (`^\s*[A-D][:.)]\s`, flags `im`), are written out as code below.
 */
const INSTRUCTION_LINE = new RegExp(`(?:[-*\\d.)]+\\s*)?(?:please\\s+)?(${INSTRUCTION_VERBS})\\b`, 'iy');
/** An instruction verb opening any sentence, not only a line. */
const SENTENCE_INSTRUCTION = new RegExp(
  `(?:^|[.!?;:]\\s+)(?:[-*\\d.)]+\\s*)?(?:please\\s+)?(${INSTRUCTION_VERBS})\\b`,
  'gim',
);
const CONDITION = /\b(?:if|unless|otherwise|except|only when|in case)\b/gi;
const CODE_FENCE = /```/g;
const JSON_ASK = /\bjson\b|\bschema\b/i;
const LIST_ASK = /\b(?:list|bullet(?:ed)? points?|enumerate|numbered)\b/i;
const TABLE_ASK = /\b(?:table|csv|columns?)\b/i;
const CODE_ASK = /\b(?:function|code|python|javascript|typescript|java|sql|program|implement|class)\b/i;
const NUMBER_ASK = /\b(?:how (?:many|much)|calculate|compute|numerical|number|percent(?:age)?|####)\b/i;
/** Asks for a choice: these words anywhere, or an option line (choiceLineEnd). */
const CHOICE_WORD = /\b(?:multiple[- ]choice|choices?|options?)\b/i;
const YES_NO_ASK = /\b(?:yes or no|yes\/no|true or false|"yes" or "no")\b/i;
const TOOL_DEFINITION = /"(?:parameters|input_schema)"\s*:\s*\{/g;
const MATH = /[=+*/^<>≤≥∑∫√π]|\\(?:frac|sum|int|sqrt|cdot|times|le|ge|pi|alpha|beta)\b/g;
const SENTENCE_END = /[.!?;\n]/;

function count(re: RegExp, text: string): number {
  re.lastIndex = 0;
  let n = 0;
  while (re.exec(text) !== null) n++;
  return n;
}

function distinctMatches(re: RegExp, text: string): number {
  re.lastIndex = 0;
  const seen = new Set<string>();
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) seen.add((m[1] ?? m[0]).toLowerCase());
  return seen.size;
}

/** The text the features read: every message, in order, one per line. */
export function promptText(messages: ChatMessage[]): string {
  return messages.map((m) => m.content).join('\n');
}

/**
 * The most characters (UTF-16 code units) of a prompt the features read: 131,072, about 32,000
 * tokens. A longer prompt is read as its first 65,536 and last 65,535 characters, joined by a
 * newline (131,072 in all); only `approxTokens` counts the whole of it. Every prompt of the
 * shipped data and of ../shared/data is far shorter (the longest under 5,000 characters), so
 * their features are those of the whole text; a megabyte of prompt costs what 131,072
 * characters cost.
 */
export const FEATURE_TEXT_LIMIT = 131_072;

/** The part of a prompt's text the features read: at most FEATURE_TEXT_LIMIT characters. */
export function featureText(text: string): string {
  if (text.length <= FEATURE_TEXT_LIMIT) return text;
  const head = FEATURE_TEXT_LIMIT / 2;
  return `${text.slice(0, head)}\n${text.slice(text.length - (FEATURE_TEXT_LIMIT - head - 1))}`;
}

/** The line terminators other than \n (a text without them has lines ended by \n alone). */
const OTHER_LINE_TERMINATORS = /[\r\u2028\u2029]/;

/** Line terminators: where `^` matches in a multiline regex (after \n, \r, U+2028, U+2029). */
function isLineTerminator(c: number): boolean {
  return c === 10 || c === 13 || c === 0x2028 || c === 0x2029;
}

/** Exactly the characters of the regex class `\s` (test/unit/features-linear.test.ts checks all 65,536). */
function isRegexSpace(c: number): boolean {
  if (c < 128) return c === 32 || (c >= 9 && c <= 13);
  return (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

const isDigit = (c: number) => c >= 48 && c <= 57;
/** `[-*\d.)]`: what may come before an instruction verb on its line ("1.", "-", "2)"). */
const isMarker = (c: number) => c === 45 || c === 42 || c === 46 || c === 41 || isDigit(c);
/** ASCII letters an instruction line's verb (or "please") can start with, either case. */
const VERB_START = new Uint8Array(128);
for (const word of ['please', ...INSTRUCTION_VERBS.split('|')]) {
  VERB_START[word.charCodeAt(0)] = 1;
  VERB_START[word.toUpperCase().charCodeAt(0)] = 1;
}

/**
 * Where the tail of an instruction line ends, from `at` (the end of the line's leading
 * whitespace), or -1: INSTRUCTION_LINE, tried only where it can match. Its `[-*\d.)]+\s*` can
 * only succeed whole (giving back a marker or a space leaves one next, and neither starts
 * "please" or a verb), and case-insensitive matching without the `u` flag never maps a
 * non-ASCII character to an ASCII one, so the verb must start with one of VERB_START.
 */
function instructionLineEnd(text: string, at: number): number {
  const n = text.length;
  let i = at;
  while (i < n && isMarker(text.charCodeAt(i))) i++;
  if (i > at) while (i < n && isRegexSpace(text.charCodeAt(i))) i++;
  const c = text.charCodeAt(i);
  if (!(c < 128 && VERB_START[c] === 1)) return -1;
  INSTRUCTION_LINE.lastIndex = at;
  return INSTRUCTION_LINE.test(text) ? INSTRUCTION_LINE.lastIndex : -1;
}

/**
 * Where an enumeration marker and the whitespace after it end, from `at`, or -1: exactly the
 * regex `(?:[A-Ha-h][:.)]|\d+[.)]|[-*•])\s+` (sticky), written out. `\d+` can only succeed
 * whole (a digit given back is not `.` or `)`), and `\s+` is greedy with nothing after it.
 */
function enumerationLineEnd(text: string, at: number): number {
  const n = text.length;
  const c = text.charCodeAt(at);
  let i = at + 1;
  if ((c >= 65 && c <= 72) || (c >= 97 && c <= 104)) {
    const d = text.charCodeAt(i);
    if (d !== 58 && d !== 46 && d !== 41) return -1;
    i++;
  } else if (isDigit(c)) {
    while (i < n && isDigit(text.charCodeAt(i))) i++;
    const d = text.charCodeAt(i);
    if (d !== 46 && d !== 41) return -1;
    i++;
  } else if (c !== 45 && c !== 42 && c !== 0x2022) return -1;
  if (!(i < n && isRegexSpace(text.charCodeAt(i)))) return -1;
  while (i < n && isRegexSpace(text.charCodeAt(i))) i++;
  return i;
}

/** An option line's marker, from `at`, or -1: exactly `[A-D][:.)]\s` (sticky, case-insensitive). */
function choiceLineEnd(text: string, at: number): number {
  const c = text.charCodeAt(at);
  if (!((c >= 65 && c <= 68) || (c >= 97 && c <= 100))) return -1;
  const d = text.charCodeAt(at + 1);
  if (d !== 58 && d !== 46 && d !== 41) return -1;
  return at + 2 < text.length && isRegexSpace(text.charCodeAt(at + 2)) ? at + 3 : -1;
}

/**
 * How many times a multiline, global regex `^\s*<tail>` matches `text` (as `count` would count
 * them), in linear time; `tailEnd(text, at)` matches the tail at `at` (the end of its match, or
 * -1). A regex engine tries `^\s*` from every line start: in a run of k blank lines each try
 * consumes the rest of the run before the tail fails, k^2 / 2 steps (10,000 newlines took a
 * second). But no tail here starts with whitespace, so from any line start the greedy `\s*` can
 * only succeed where the run of whitespace ends: every line start inside one run leads to the
 * same place, and the tail is tried there once. Tails never match the empty string.
 */
function countLineAnchored(
  text: string,
  tailEnd: (text: string, at: number) => number,
  limit = Number.POSITIVE_INFINITY,
): number {
  const n = text.length;
  // Lines end at \n alone in most prompts: then the native indexOf finds each line's end, several
  // times faster than a loop over its characters in JavaScript.
  const lfOnly = !OTHER_LINE_TERMINATORS.test(text);
  let matches = 0;
  let pos = 0; // where the global regex would search next (its lastIndex)
  while (pos < n && matches < limit) {
    // The first line start at or after pos.
    let at = pos;
    if (at > 0 && !isLineTerminator(text.charCodeAt(at - 1))) {
      if (lfOnly) {
        const lf = text.indexOf('\n', at);
        at = lf < 0 ? n : lf;
      } else while (at < n && !isLineTerminator(text.charCodeAt(at))) at++;
      at++;
    }
    // Its leading whitespace (across blank lines): the one place the tail can start.
    while (at < n && isRegexSpace(text.charCodeAt(at))) at++;
    if (at >= n) break;
    const end = tailEnd(text, at);
    if (end >= 0) {
      matches++;
      pos = end;
    } else {
      // Every line start up to `at` ends its whitespace at `at` too: none of them can match.
      pos = at + 1;
    }
  }
  return matches;
}

export function structuralFeatures(messages: ChatMessage[]): StructuralFeatures {
  return structuralFeaturesOfText(promptText(messages), messages);
}

/** Condition words, and how many sentences hold two or more of them, in one pass. */
function conditionCounts(text: string): { conditions: number; nested: number } {
  CONDITION.lastIndex = 0;
  let conditions = 0;
  let nested = 0;
  let prevEnd = -1;
  let sentenceCounted = false;
  let m: RegExpExecArray | null;
  while ((m = CONDITION.exec(text)) !== null) {
    conditions++;
    const sameSentence = prevEnd >= 0 && !SENTENCE_END.test(text.slice(prevEnd, m.index));
    if (sameSentence && !sentenceCounted) {
      nested++;
      sentenceCounted = true;
    } else if (!sameSentence) sentenceCounted = false;
    prevEnd = m.index + m[0].length;
  }
  return { conditions, nested };
}

/**
 * Where a prompt states what it wants (its instructions and the requested format): its first and
 * last 2,000 characters. A long document in the middle is not searched for them, which keeps
 * the cost flat in the prompt's length.
 */
const ASK_WINDOW = 2_000;

function structuralFeaturesOfText(fullText: string, messages: ChatMessage[]): StructuralFeatures {
  const text = featureText(fullText);
  const scan = scanText(text);
  const cond = conditionCounts(text);
  // The same window whether or not the text was bounded: featureText keeps the ends.
  const ask =
    text.length <= 2 * ASK_WINDOW ? text : `${text.slice(0, ASK_WINDOW)}\n${text.slice(-ASK_WINDOW)}`;
  return {
    // ~4 characters a token for English; the real count comes back in the model's usage.
    approxTokens: Math.ceil(fullText.length / 4),
    messages: messages.length,
    hasSystem: messages.some((m) => m.role === 'system') ? 1 : 0,
    questions: scan.questions,
    instructions: countLineAnchored(text, instructionLineEnd),
    distinctInstructions: distinctMatches(SENTENCE_INSTRUCTION, ask),
    conditions: cond.conditions,
    nestedConditions: cond.nested,
    enumerations: countLineAnchored(text, enumerationLineEnd),
    codeBlocks: Math.floor(count(CODE_FENCE, text) / 2),
    asksForJson: JSON_ASK.test(text) ? 1 : 0,
    formatList: LIST_ASK.test(ask) ? 1 : 0,
    formatTable: TABLE_ASK.test(ask) ? 1 : 0,
    formatCode: CODE_ASK.test(ask) ? 1 : 0,
    formatNumber: NUMBER_ASK.test(ask) ? 1 : 0,
    formatChoice: CHOICE_WORD.test(ask) || countLineAnchored(ask, choiceLineEnd, 1) > 0 ? 1 : 0,
    formatYesNo: YES_NO_ASK.test(ask) ? 1 : 0,
    toolDefinitions: count(TOOL_DEFINITION, text),
    digits: scan.digits,
    mathSymbols: count(MATH, text),
    fractions: scan.fractions,
    percentages: scan.percentages,
    words: scan.words,
    nonAsciiLetters: scan.nonAscii,
    scriptCjk: scan.dominant === 'cjk' ? 1 : 0,
    scriptCyrillic: scan.dominant === 'cyrillic' ? 1 : 0,
    scriptArabic: scan.dominant === 'arabic' ? 1 : 0,
    scriptOther: scan.dominant === 'other' ? 1 : 0,
  };
}

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13) || c === 0xa0 || c === 0x2028 || c === 0x2029 || c === 0x3000;
}

/** ASCII classes for scanText: 1 space, 2 letter, 3 digit, 4 '?', 5 '%', 6 '/', 0 anything else. */
const ASCII_CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  ASCII_CLASS[c] =
    c === 32 || (c >= 9 && c <= 13)
      ? 1
      : (c >= 65 && c <= 90) || (c >= 97 && c <= 122)
        ? 2
        : c >= 48 && c <= 57
          ? 3
          : c === 63
            ? 4
            : c === 37
              ? 5
              : c === 47
                ? 6
                : 0;
}

/** FNV-1a over the lower-cased letters of a run of ASCII letters, as scanText computes it. */
function letterRunHash(word: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < word.length; i++) h = Math.imul(h ^ (word.charCodeAt(i) | 0x20), 0x01000193);
  return h >>> 0;
}

/**
 * The words `fractions` and `percentages` count, by the hash of their letters: scanText hashes
 * each run of ASCII letters as it passes and compares the run with a word only on a hash hit, so
 * the two counts cost a multiply a letter and a table lookup a word, instead of two more regex
 * passes over the text (bench/README.md, "routing-latency").
 */
const PROPORTION_WORDS = new Map<number, { word: string; fraction: boolean }>();
for (const [words, fraction] of [
  ['half halves third thirds quarter quarters fourth fourths fifth fifths sixth sixths', true],
  ['seventh sevenths eighth eighths ninth ninths tenth tenths', true],
  ['percent percents percentage percentages ratio ratios proportion proportions', false],
] as const) {
  for (const word of words.split(' ')) PROPORTION_WORDS.set(letterRunHash(word), { word, fraction });
}
const PROPORTION_FILTER_MASK = 4095;
const PROPORTION_FILTER = new Uint8Array(PROPORTION_FILTER_MASK + 1);
for (const h of PROPORTION_WORDS.keys()) PROPORTION_FILTER[h & PROPORTION_FILTER_MASK] = 1;

/** The proportion word the letters text[start, end) spell (either case), or undefined. */
function proportionWord(text: string, start: number, end: number, hash: number) {
  const hit = PROPORTION_WORDS.get(hash);
  if (hit === undefined || hit.word.length !== end - start) return undefined;
  for (let j = 0; j < hit.word.length; j++)
    if ((text.charCodeAt(start + j) | 0x20) !== hit.word.charCodeAt(j)) return undefined;
  return hit;
}

/**
 * One pass over the characters: words (runs of non-space), digits, question marks, fractions and
 * percentages (PROPORTION_WORDS, '%', a slash between digits), and the dominant script of the
 * letters by counting code points.
 */
function scanText(text: string): {
  words: number;
  digits: number;
  questions: number;
  fractions: number;
  percentages: number;
  dominant: 'latin' | 'cjk' | 'cyrillic' | 'arabic' | 'other';
  nonAscii: number;
} {
  let latin = 0;
  let cjk = 0;
  let cyrillic = 0;
  let arabic = 0;
  let other = 0;
  let nonAscii = 0;
  let words = 0;
  let digits = 0;
  let questions = 0;
  let fractions = 0;
  let percentages = 0;
  let inWord = false;
  // The run of ASCII letters being read: where it started (-1: none) and its hash so far.
  let runStart = -1;
  let runHash = 0;
  const endRun = (end: number) => {
    // A typed-array filter first: most words are not proportion words, and a Map lookup per word
    // costs more than the rest of the scan.
    const h = runHash >>> 0;
    if (PROPORTION_FILTER[h & PROPORTION_FILTER_MASK] === 1) {
      const hit = proportionWord(text, runStart, end, h);
      if (hit?.fraction) fractions++;
      else if (hit) percentages++;
    }
    runStart = -1;
  };
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c < 128) {
      const k = ASCII_CLASS[c]!;
      if (k === 2) {
        if (!inWord) {
          words++;
          inWord = true;
        }
        latin++;
        if (runStart < 0) {
          runStart = i;
          runHash = 0x811c9dc5;
        }
        runHash = Math.imul(runHash ^ (c | 0x20), 0x01000193);
        continue;
      }
      if (runStart >= 0) endRun(i);
      if (k === 1) {
        inWord = false;
        continue;
      }
      if (!inWord) {
        words++;
        inWord = true;
      }
      if (k === 3) digits++;
      else if (k === 4) questions++;
      else if (k === 5) percentages++;
      // A written fraction: a slash between two digits ("3/4"; "1/2/3" holds two).
      else if (k === 6 && i > 0 && isDigit(text.charCodeAt(i - 1)) && isDigit(text.charCodeAt(i + 1)))
        fractions++;
      continue;
    }
    if (runStart >= 0) endRun(i);
    if (isSpace(c)) {
      inWord = false;
      continue;
    }
    if (!inWord) {
      words++;
      inWord = true;
    }
    if (c >= 0x00c0 && c <= 0x024f) latin++;
    else if ((c >= 0x3040 && c <= 0x30ff) || (c >= 0x4e00 && c <= 0x9fff) || (c >= 0xac00 && c <= 0xd7af))
      cjk++;
    else if (c >= 0x0400 && c <= 0x04ff) cyrillic++;
    else if (c >= 0x0590 && c <= 0x06ff) arabic++;
    else if (c >= 0x0370 && c <= 0x1fff) other++;
    else {
      if (c === 0xff1f) questions++; // a full-width question mark
      continue; // punctuation, symbols, emoji: not letters
    }
    nonAscii++;
  }
  if (runStart >= 0) endRun(n);
  const letters = latin + cjk + cyrillic + arabic + other;
  const counts = { latin, cjk, cyrillic, arabic, other };
  let dominant: keyof typeof counts = 'latin';
  for (const k of Object.keys(counts) as (keyof typeof counts)[])
    if (counts[k] > counts[dominant]) dominant = k;
  return {
    words,
    digits,
    questions,
    fractions,
    percentages,
    dominant,
    nonAscii: letters === 0 ? 0 : Math.round((nonAscii / letters) * 1000) / 1000,
  };
}

/**
 * A rule-based complexity score in [0, 1]: a working baseline before any labelled data exists.
 * More instructions, conditions and code push it up; length alone barely does (a long
 * retrieval prompt is easy, a short multi-step question is not).
 */
export function ruleComplexity(f: StructuralFeatures): number {
  const score =
    0.05 * Math.log2(1 + f.approxTokens / 100) +
    0.12 * Math.min(f.instructions, 5) +
    0.1 * Math.min(f.conditions, 4) +
    0.15 * Math.min(f.codeBlocks, 2) +
    0.05 * Math.min(f.questions, 4);
  return Math.round(Math.min(1, score) * 1000) / 1000;
}

// ---------------------------------------------------------------------------------------------
// Hashed lexical features

/** A sparse vector: parallel arrays of bucket indices (ascending, distinct) and values. */
export interface SparseVector {
  indices: number[];
  values: number[];
}

export interface HashingOptions {
  /** log2 of the number of buckets (12 = 4096). */
  bits: number;
  /** Word n-gram sizes hashed: [1] unigrams, [1, 2] unigrams and bigrams. */
  ngrams: number[];
}

export const DEFAULT_HASHING: HashingOptions = { bits: 12, ngrams: [1, 2] };

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * A word character: ASCII letters and digits, and any non-ASCII character outside Latin-1's
 * punctuation, the general punctuation / symbol blocks (U+2000-U+2BFF), CJK punctuation
 * (U+3000-U+303F), surrogates (emoji) and full-width punctuation. Cheaper than a Unicode-property
 * regex, and as deterministic.
 */
let scratch = new Float64Array(0);

const ASCII_WORD = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  ASCII_WORD[c] = (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || (c >= 65 && c <= 90) ? 1 : 0;
}

function isWordChar(c: number): boolean {
  if (c < 128) return ASCII_WORD[c] === 1;
  if (c < 0xc0) return false;
  if (c >= 0x2000 && c <= 0x2bff) return false;
  if (c >= 0x3000 && c <= 0x303f) return false;
  if (c >= 0xd800 && c <= 0xdfff) return false;
  if (c >= 0xff00 && c <= 0xff0f) return false;
  return true;
}

/**
 * Word n-grams of the lower-cased text hashed into 2^bits buckets, each with a sign from
 * another bit of its hash (collisions then cancel on average instead of adding up), counts
 * damped with log(1 + |count|) and the vector scaled to unit length. A word is FNV-1a hashed as
 * it is scanned, then mixed with murmur3's finaliser; a bigram hashes its two words' hashes.
 * Deterministic: the same text gives the same vector everywhere. Reads at most
 * FEATURE_TEXT_LIMIT characters (featureText).
 */
export function hashedLexicalFeatures(text: string, opts: HashingOptions = DEFAULT_HASHING): SparseVector {
  const size = 1 << opts.bits;
  const mask = size - 1;
  // A scratch accumulator reused across calls (zeroed again below, bucket by bucket).
  if (scratch.length !== size) scratch = new Float64Array(size);
  const acc = scratch;
  const touched: number[] = [];
  const lower = featureText(text).toLowerCase();
  const wantUni = opts.ngrams.includes(1);
  const wantBi = opts.ngrams.includes(2);
  let prev = -1;
  let h = 0x811c9dc5;
  let inWord = false;
  const n = lower.length;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? lower.charCodeAt(i) : 32;
    if (c < 128 ? ASCII_WORD[c] === 1 : isWordChar(c)) {
      if (!inWord) {
        h = 0x811c9dc5;
        inWord = true;
      }
      h ^= c;
      h = Math.imul(h, 0x01000193);
    } else if (inWord) {
      inWord = false;
      const w = fmix(h);
      if (wantUni) {
        const idx = w & mask;
        if (acc[idx] === 0) touched.push(idx);
        acc[idx]! += w & 0x80000000 ? -1 : 1;
      }
      if (wantBi && prev !== -1) {
        const b = fmix(Math.imul(prev, 0x9e3779b1) ^ w ^ 0x5bd1e995);
        const idx = b & mask;
        if (acc[idx] === 0) touched.push(idx);
        acc[idx]! += b & 0x80000000 ? -1 : 1;
      }
      prev = w;
    }
  }
  const indices: number[] = [];
  const values: number[] = [];
  let norm = 0;
  const take = (idx: number) => {
    const c = acc[idx]!;
    if (c === 0) return; // never touched, or collisions that cancelled out
    const v = Math.sign(c) * Math.log1p(Math.abs(c));
    indices.push(idx);
    values.push(v);
    norm += v * v;
  };
  if (touched.length * 16 > size) {
    // Many buckets touched: a pass over the accumulator is cheaper than sorting them.
    for (let idx = 0; idx < size; idx++) take(idx);
  } else {
    touched.sort((a, b) => a - b);
    for (let k = 0; k < touched.length; k++) if (k === 0 || touched[k - 1] !== touched[k]) take(touched[k]!);
  }
  for (let k = 0; k < touched.length; k++) acc[touched[k]!] = 0;
  norm = Math.sqrt(norm);
  if (norm > 0) for (let k = 0; k < values.length; k++) values[k]! /= norm;
  return { indices, values };
}

/** Everything the classifier reads about a prompt. */
export interface PromptFeatures {
  structural: StructuralFeatures;
  lexical: SparseVector;
}

export function promptFeatures(
  messages: ChatMessage[],
  hashing: HashingOptions = DEFAULT_HASHING,
): PromptFeatures {
  const text = promptText(messages);
  return {
    structural: structuralFeaturesOfText(text, messages),
    lexical: hashedLexicalFeatures(text, hashing),
  };
}

/** The structural feature names, in the fixed order a classifier's weights use. */
export const STRUCTURAL_FEATURE_NAMES: readonly (keyof StructuralFeatures)[] = [
  'approxTokens',
  'messages',
  'hasSystem',
  'questions',
  'instructions',
  'distinctInstructions',
  'conditions',
  'nestedConditions',
  'enumerations',
  'codeBlocks',
  'asksForJson',
  'formatList',
  'formatTable',
  'formatCode',
  'formatNumber',
  'formatChoice',
  'formatYesNo',
  'toolDefinitions',
  'digits',
  'mathSymbols',
  'words',
  'nonAsciiLetters',
  'scriptCjk',
  'scriptCyrillic',
  'scriptArabic',
  'scriptOther',
  // Added for issue #15. A classifier keeps the names it was trained with (its standardiser's
  // `names`), so one trained before these were added reads neither.
  'fractions',
  'percentages',
];
