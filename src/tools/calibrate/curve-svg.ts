/**
 * The cost/quality curve of a calibration as a standalone SVG a person can open in a browser:
 * the frontier of policies found (relative quality against relative cost, point estimates; in a
 * format-2 artefact those of the fit part, with each point's quality on the held-out test part
 * beside it), the lower bounds of the same policies, the target line, the chosen policy, the
 * point-estimate baseline and each model served alone. Hand-written SVG: no dependency, text
 * labels included.
 */
import type { CalibrationArtefact } from '../../request/router/calibration/artefact';

const W = 760;
const H = 500;
const M = { left: 70, right: 30, top: 60, bottom: 60 };

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const pct = (x: number, d = 0) => `${(x * 100).toFixed(d)}%`;

export function renderCurveSvg(a: CalibrationArtefact, title?: string): string {
  const pts = a.curve;
  const reference = a.format === 2 ? a.candidates[a.candidates.length - 1]! : a.ladder[a.ladder.length - 1]!;
  const tested = a.format === 2 ? a.curve : [];
  const statics = a.staticOptions;
  const xs = [
    ...pts.map((p) => p.relativeCost),
    ...statics.map((s) => s.relativeCost),
    1,
    a.chosen.relativeCost,
  ];
  const ys = [
    ...pts.flatMap((p) => [p.relativeQuality, p.lowerBound]),
    ...statics.map((s) => s.relativeQuality),
    a.target.relativeQuality,
    1,
  ].filter(Number.isFinite);
  const xMax = Math.max(1.1, ...xs.filter(Number.isFinite)) * 1.05;
  const yMin = Math.max(0, Math.min(...ys) - 0.03);
  const yMax = Math.max(...ys) + 0.03;
  const px = (x: number) => M.left + (x / xMax) * (W - M.left - M.right);
  const py = (y: number) => H - M.bottom - ((y - yMin) / (yMax - yMin)) * (H - M.top - M.bottom);
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(
      title ??
        (a.format === 2 && a.selection === 'subsets'
          ? `Cost vs quality: ${a.candidates.join(', ')} (chosen: ${a.ladder.join(' → ')})`
          : `Cost vs quality: ${a.ladder.join(' → ')}`),
    )}</text>`,
    `<text x="${W / 2}" y="40" text-anchor="middle" fill="#555">${esc(
      `target ${pct(a.target.relativeQuality)} of ${reference}'s accuracy at ${pct(a.target.confidence)} confidence · ${a.training.rows} labelled rows` +
        (a.format === 2 ? ` (${a.split.fitRows} fitted, ${a.split.testRows} tested)` : '') +
        ` · ${a.version}`,
    )}</text>`,
  );
  // Axes, grid and ticks.
  const x0 = M.left;
  const y0 = H - M.bottom;
  out.push(
    `<line x1="${x0}" y1="${y0}" x2="${W - M.right}" y2="${y0}" stroke="#333"/>`,
    `<line x1="${x0}" y1="${y0}" x2="${x0}" y2="${M.top}" stroke="#333"/>`,
  );
  const xStep = xMax > 2 ? 0.5 : 0.1;
  for (let x = 0; x <= xMax + 1e-9; x += xStep) {
    out.push(
      `<line x1="${px(x)}" y1="${y0}" x2="${px(x)}" y2="${M.top}" stroke="#eee"/>`,
      `<text x="${px(x)}" y="${y0 + 16}" text-anchor="middle">${pct(x)}</text>`,
    );
  }
  const span = yMax - yMin;
  const yStep = span > 0.6 ? 0.1 : span > 0.25 ? 0.05 : 0.02;
  for (let y = Math.ceil(yMin / yStep) * yStep; y <= yMax + 1e-9; y += yStep) {
    out.push(
      `<line x1="${x0}" y1="${py(y)}" x2="${W - M.right}" y2="${py(y)}" stroke="#eee"/>`,
      `<text x="${x0 - 6}" y="${py(y) + 4}" text-anchor="end">${pct(y)}</text>`,
    );
  }
  out.push(
    `<text x="${(x0 + W - M.right) / 2}" y="${H - 18}" text-anchor="middle">cost relative to ${esc(reference)} alone (double costs and self-checks included)</text>`,
    `<text transform="translate(18 ${(M.top + y0) / 2}) rotate(-90)" text-anchor="middle">accuracy relative to ${esc(reference)}</text>`,
  );
  // Target line.
  const ty = py(a.target.relativeQuality);
  out.push(
    `<line x1="${x0}" y1="${ty}" x2="${W - M.right}" y2="${ty}" stroke="#c0392b" stroke-dasharray="6 4"/>`,
    `<text x="${x0 + 6}" y="${ty - 5}" fill="#c0392b">target ${pct(a.target.relativeQuality, 1)}</text>`,
  );
  // Frontier and its lower bounds.
  const line = (vals: [number, number][], attrs: string) =>
    vals.length > 1
      ? `<polyline fill="none" ${attrs} points="${vals.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ')}"/>`
      : '';
  out.push(
    line(
      pts.map((p) => [p.relativeCost, p.relativeQuality]),
      'stroke="#2c7fb8" stroke-width="2"',
    ),
    line(
      pts.filter((p) => Number.isFinite(p.lowerBound)).map((p) => [p.relativeCost, p.lowerBound]),
      'stroke="#2c7fb8" stroke-width="1.5" stroke-dasharray="4 3" opacity="0.7"',
    ),
  );
  for (const p of pts) {
    out.push(`<circle cx="${px(p.relativeCost)}" cy="${py(p.relativeQuality)}" r="2.5" fill="#2c7fb8"/>`);
  }
  // Format 2: each frontier point's quality on the held-out test part (hollow), accepted ones filled.
  for (const p of tested) {
    if (!Number.isFinite(p.testRelativeQuality)) continue;
    out.push(
      `<circle cx="${px(p.testRelativeCost)}" cy="${py(p.testRelativeQuality)}" r="3" fill="${p.accepted ? '#8e44ad' : 'none'}" stroke="#8e44ad"/>`,
    );
  }
  // Single models.
  for (const s of statics) {
    out.push(
      `<rect x="${px(s.relativeCost) - 4}" y="${py(s.relativeQuality) - 4}" width="8" height="8" fill="#7f8c8d"/>`,
      `<text x="${px(s.relativeCost) + 7}" y="${py(s.relativeQuality) + 14}" fill="#555">${esc(s.model)} alone</text>`,
    );
  }
  // Baseline and chosen.
  const b = a.baseline;
  out.push(
    `<path d="M ${px(b.relativeCost)} ${py(b.relativeQuality) - 6} l 6 10 l -12 0 z" fill="#e67e22"/>`,
    `<text x="${px(b.relativeCost) - 8}" y="${py(b.relativeQuality) - 8}" text-anchor="end" fill="#e67e22">point-estimate baseline</text>`,
  );
  const c = a.chosen;
  const cx = px(c.relativeCost);
  const cy = py(c.relativeQuality);
  out.push(
    `<line x1="${cx}" y1="${py(c.intervals.relativeQuality[0])}" x2="${cx}" y2="${py(c.intervals.relativeQuality[1])}" stroke="#27ae60" stroke-width="2"/>`,
    `<circle cx="${cx}" cy="${cy}" r="7" fill="none" stroke="#27ae60" stroke-width="3"/>`,
  );
  // The annotation block, bottom right (the curve rises from bottom left to top right).
  const ax = W - M.right - 10;
  let ay = y0 - (a.format === 2 ? 129 : 112);
  const text = (t: string, attrs = '') => {
    out.push(`<text x="${ax}" y="${ay}" text-anchor="end" ${attrs}>${esc(t)}</text>`);
    ay += 17;
  };
  out.push(
    `<line x1="${cx}" y1="${cy + 8}" x2="${ax - 150}" y2="${ay - 13}" stroke="#27ae60" stroke-dasharray="2 3"/>`,
  );
  text(
    `chosen: cost ${pct(c.relativeCost, 1)}, quality ${pct(c.relativeQuality, 1)} (bound ${pct(c.lowerBound ?? NaN, 1)})`,
    'fill="#1e8449" font-weight="bold"',
  );
  text(
    `escalation ${pct(c.escalationRate, 1)}, skipped ${pct(c.skipRate, 1)}, savings ${pct(c.intervals.savings[0], 1)}..${pct(c.intervals.savings[1], 1)}`,
    'fill="#1e8449"',
  );
  text(
    `recommendation: ${a.recommendation.route === 'static' ? `static (${a.recommendation.model})` : 'cascade'}`,
    `font-weight="bold" fill="${a.recommendation.route === 'static' ? '#c0392b' : '#1e8449'}"`,
  );
  ay += 4;
  out.push(
    `<line x1="${ax - 190}" y1="${ay - 4}" x2="${ax - 165}" y2="${ay - 4}" stroke="#2c7fb8" stroke-width="2"/>`,
  );
  text(a.format === 2 ? 'fit-part frontier (point estimates)' : 'frontier (point estimates)');
  out.push(
    `<line x1="${ax - 190}" y1="${ay - 4}" x2="${ax - 165}" y2="${ay - 4}" stroke="#2c7fb8" stroke-dasharray="4 3"/>`,
  );
  text(
    a.format === 2
      ? `exact ${pct(a.target.confidence)} lower bound on the test part`
      : `its ${pct(a.target.confidence)} lower bound`,
  );
  if (a.format === 2) {
    out.push(`<circle cx="${ax - 177}" cy="${ay - 4}" r="3" fill="none" stroke="#8e44ad"/>`);
    text('test-part quality (filled: accepted by the test)');
  }
  out.push('</svg>');
  return out.filter(Boolean).join('\n') + '\n';
}
