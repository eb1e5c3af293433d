// Measures the heuristic injection detector on the labelled sets in ../shared/data/injection and on
// our own fixtures: `node --import tsx bench/injection-eval.ts [--examples]`.
//
// Labelling:
// - Giskard CSV: every prompt is an attack (jailbreaks and hijacks); there are no negatives.
// - BIPIA (train split): the clean contexts (emails, markdown tables, Stack Overflow answers) are
//   negatives. Positives are built the way BIPIA builds its test prompts: an attack string joined to
//   a clean context with "\n" at the start, the end, or before a random sentence (text attacks into
//   emails and tables, code attacks into code answers). Email and code use every context x attack x
//   position; table uses 5 attacks per context (rotating), since its 900 contexts are long.
// - BIPIA attack strings alone are reported too, since the context only adds false-positive risk.
// - test/fixtures/injection: our own benign texts (negatives), our own attacks (positives, written
//   to cover the signal families, so read them as a smoke test, not a measurement), and the small
//   dataset sample the unit tests use.
// - MCP tool definitions (tool-definitions.yaml): real ones from MIT-licensed servers (negatives)
//   and poisoned ones we wrote (positives, a smoke test like our own attacks).
// - Real documents as extra negatives: every Markdown file over 300 bytes in node_modules and this
//   repo's own TypeScript (minus the guardrails folder, whose tests and patterns quote attacks).
//   Unlabelled, assumed benign; a flagged one is printed so it can be checked by eye.
// - Honesty check for the text attacks: the 75 BIPIA text attack strings are split by index, even
//   ones the development half (rules written while looking at them), odd ones the held-out half,
//   and the TPR of email, table and attacks-alone is printed for each half.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_INJECTION_THRESHOLD, injectionScore } from '../src/gateway/policy/guardrails/injection.js';

const DATA = process.env.INJECTION_DATA ?? fileURLToPath(new URL('../../shared/data/injection/', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURES = `${ROOT}test/fixtures/injection`;
const SHOW_EXAMPLES = process.argv.includes('--examples');
const SWEEP = [0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.8];

interface Item {
  label: 0 | 1;
  text: string;
  /** Attack category or source, for the per-category breakdown. */
  group: string;
  id: string;
}

interface Scored extends Item {
  score: number;
  rules: string[];
}

if (!existsSync(`${DATA}/giskard-prompt-injections.csv`) || !existsSync(`${DATA}/bipia-train`)) {
  console.error(`injection-eval: labelled data not found at ${DATA}\n(expected giskard-prompt-injections.csv and bipia-train/; set INJECTION_DATA to point elsewhere)`);
  process.exit(2);
}

/** RFC 4180: quoted fields may hold commas, newlines and doubled quotes. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

function loadGiskard(): Item[] {
  const [header, ...rows] = parseCsv(readFileSync(`${DATA}/giskard-prompt-injections.csv`, 'utf8'));
  const col = (name: string): number => {
    const i = header!.indexOf(name);
    if (i < 0) throw new Error(`giskard CSV has no "${name}" column`);
    return i;
  };
  const [prompt, group, index] = [col('prompt'), col('group'), col('index')];
  return rows.filter((r) => r.length === header!.length).map((r) => ({ label: 1, text: r[prompt]!, group: r[group]!, id: `giskard-${r[index]}` }));
}

const readJsonl = <T>(file: string): T[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as T);

function loadAttacks(file: string): Array<{ category: string; text: string }> {
  const json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string[]>;
  return Object.entries(json).flatMap(([category, texts]) => texts.map((text) => ({ category, text })));
}

/** Deterministic PRNG (mulberry32), so every run builds the same positives. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const POSITIONS = ['end', 'start', 'middle'] as const;

/** BIPIA's insert_end/insert_start/insert_middle; sentence starts approximate Punkt's spans. */
function insert(context: string, attack: string, position: (typeof POSITIONS)[number], seed: number): string {
  if (position === 'end') return `${context}\n${attack}`;
  if (position === 'start') return `${attack}\n${context}`;
  const starts = [0];
  for (const m of context.matchAll(/[.!?]["')\]]*\s+(?=\S)/g)) starts.push(m.index + m[0].length);
  const at = starts[Math.floor(rng(seed)() * starts.length)]!;
  return [context.slice(0, at), attack, context.slice(at)].join('\n');
}

function loadBipia(): Record<string, Item[]> {
  const dir = `${DATA}/bipia-train`;
  const textAttacks = loadAttacks(`${dir}/text_attack_train.json`);
  const codeAttacks = loadAttacks(`${dir}/code_attack_train.json`);
  const emails = readJsonl<{ context: string }>(`${dir}/email-train.jsonl`).map((r) => r.context);
  const tables = readJsonl<{ context: string }>(`${dir}/table-train.jsonl`).map((r) => r.context);
  const code = readJsonl<{ context: string[] }>(`${dir}/code-train.jsonl`).map((r) => r.context.join('\n'));

  const build = (name: string, contexts: string[], attacks: Array<{ category: string; text: string }>, perContext?: number): Item[] => {
    const items: Item[] = contexts.map((text, i) => ({ label: 0, text, group: 'clean', id: `${name}-clean-${i}` }));
    contexts.forEach((context, i) => {
      const pairs = perContext
        ? Array.from({ length: perContext }, (_, k) => ({ a: (i * perContext + k) % attacks.length, p: (i + k) % 3 }))
        : attacks.flatMap((_, a) => [0, 1, 2].map((p) => ({ a, p })));
      for (const { a, p } of pairs) {
        const attack = attacks[a]!;
        items.push({ label: 1, text: insert(context, attack.text, POSITIONS[p]!, i * 1000 + a), group: attack.category, id: `${name}-${i}-${a}-${POSITIONS[p]}` });
      }
    });
    return items;
  };

  return {
    'bipia-email': build('email', emails, textAttacks),
    'bipia-table': build('table', tables, textAttacks, 5),
    'bipia-code': build('code', code, codeAttacks),
    'bipia-text-attacks-alone': textAttacks.map((a, i) => ({ label: 1, text: a.text, group: a.category, id: `text-attack-${i}` })),
    'bipia-code-attacks-alone': codeAttacks.map((a, i) => ({ label: 1, text: a.text, group: a.category, id: `code-attack-${i}` })),
  };
}

function loadFixtures(): Record<string, Item[]> {
  const yamlItems = (file: string, label: 0 | 1): Item[] =>
    (parseYaml(readFileSync(`${FIXTURES}/${file}`, 'utf8')) as Array<{ id: string; text: string; kind?: string; family?: string }>).map((r) => ({
      label,
      text: r.text,
      group: r.kind ?? r.family ?? '',
      id: r.id,
    }));
  const sample = readJsonl<{ id: string; label: 0 | 1; source: string; text: string }>(`${FIXTURES}/samples.jsonl`).map((r) => ({
    label: r.label,
    text: r.text,
    group: r.source,
    id: r.id,
  }));
  const toolDefinitions = (parseYaml(readFileSync(`${FIXTURES}/tool-definitions.yaml`, 'utf8')) as Array<{ id: string; label: 0 | 1; text: string; source?: string; variant?: string }>).map((r) => ({
    label: r.label,
    text: r.text,
    group: r.variant ?? r.source ?? '',
    id: r.id,
  }));
  return {
    'own-benign (code/prose/email/tool/web)': yamlItems('benign.yaml', 0),
    'own-attacks (self-written)': yamlItems('attacks.yaml', 1),
    'tool-definitions (real MCP / self-written poisoned)': toolDefinitions,
    'fixture sample (unit tests)': sample,
    'real docs (node_modules *.md, src *.ts)': loadRealDocuments(),
  };
}

function loadRealDocuments(): Item[] {
  const walk = (dir: string, keep: (path: string) => boolean): string[] =>
    existsSync(`${ROOT}${dir}`)
      ? readdirSync(`${ROOT}${dir}`, { recursive: true, encoding: 'utf8' })
          .map((p) => `${dir}/${p}`)
          .filter(keep)
          .sort()
      : [];
  const docs = walk('node_modules', (p) => p.endsWith('.md'));
  const source = walk('src', (p) => p.endsWith('.ts') && !p.startsWith('src/gateway/policy/guardrails/'));
  return [...docs, ...source]
    .map((path) => ({ label: 0 as const, text: readFileSync(`${ROOT}${path}`, 'utf8'), group: path.split('/')[0]!, id: path }))
    .filter((it) => it.text.length > 300);
}

interface Metrics {
  pos: number;
  neg: number;
  tpr?: number;
  fpr?: number;
  precision?: number;
  f1?: number;
}

function metrics(items: Scored[], threshold: number): Metrics {
  let tp = 0;
  let fp = 0;
  let pos = 0;
  let neg = 0;
  for (const it of items) {
    const flagged = it.score >= threshold;
    if (it.label === 1) {
      pos++;
      if (flagged) tp++;
    } else {
      neg++;
      if (flagged) fp++;
    }
  }
  const tpr = pos ? tp / pos : undefined;
  const fpr = neg ? fp / neg : undefined;
  const precision = pos && tp + fp ? tp / (tp + fp) : undefined;
  const f1 = precision !== undefined && tpr !== undefined && precision + tpr > 0 ? (2 * precision * tpr) / (precision + tpr) : undefined;
  return { pos, neg, tpr, fpr, precision, f1 };
}

/** The attack's index in text_attack_train.json, from ids `email-<context>-<attack>-<position>`, `text-attack-<attack>`. */
const attackIndex = (id: string): number => Number(id.split('-')[2]);

const pct = (x: number | undefined): string => (x === undefined ? '—' : `${(x * 100).toFixed(1)}%`);
const num = (x: number | undefined): string => (x === undefined ? '—' : x.toFixed(3));

function main(): void {
  const started = performance.now();
  const datasets: Record<string, Item[]> = { giskard: loadGiskard(), ...loadBipia(), ...loadFixtures() };
  let chars = 0;
  const scored: Record<string, Scored[]> = {};
  const scanStart = performance.now();
  for (const [name, items] of Object.entries(datasets)) {
    scored[name] = items.map((it) => {
      chars += it.text.length;
      const r = injectionScore(it.text);
      return { ...it, score: r.score, rules: [...new Set(r.findings.filter((f) => f.score >= DEFAULT_INJECTION_THRESHOLD).map((f) => f.rule))] };
    });
  }
  const scanMs = performance.now() - scanStart;

  const t = DEFAULT_INJECTION_THRESHOLD;
  console.log(`Heuristic injection detector, default threshold ${t}`);
  console.log(`data: ${DATA}\n`);
  const rows = Object.entries(scored).map(([name, items]) => {
    const m = metrics(items, t);
    return { dataset: name, 'n (pos/neg)': `${m.pos}/${m.neg}`, TPR: pct(m.tpr), FPR: pct(m.fpr), precision: pct(m.precision), F1: num(m.f1) };
  });
  console.table(rows);

  console.log('\nThreshold sweep (TPR on sets with positives, FPR on sets with negatives):');
  const sweep = SWEEP.map((th) => {
    const row: Record<string, string> = { threshold: th.toFixed(2) };
    for (const [name, items] of Object.entries(scored)) {
      const m = metrics(items, th);
      const short = name.split(' ')[0]!;
      if (m.pos) row[`${short} TPR`] = pct(m.tpr);
      if (m.neg) row[`${short} FPR`] = pct(m.fpr);
    }
    return row;
  });
  console.table(sweep);

  console.log(`\nTPR by attack category at ${t}:`);
  for (const name of ['giskard', 'bipia-text-attacks-alone', 'bipia-code-attacks-alone', 'bipia-email', 'bipia-code', 'tool-definitions (real MCP / self-written poisoned)']) {
    const byGroup = new Map<string, Scored[]>();
    for (const it of scored[name]!.filter((i) => i.label === 1)) byGroup.set(it.group, [...(byGroup.get(it.group) ?? []), it]);
    const parts = [...byGroup].map(([g, its]) => `${g} ${pct(its.filter((i) => i.score >= t).length / its.length)}`);
    console.log(`  ${name}: ${parts.join(', ')}`);
  }

  console.log(`\nBIPIA text attacks by half at ${t} (even attack index: development, odd: held out):`);
  console.table(
    ['bipia-email', 'bipia-table', 'bipia-text-attacks-alone'].map((name) => {
      const positives = scored[name]!.filter((i) => i.label === 1);
      const half = (parity: number): string => pct(metrics(positives.filter((i) => attackIndex(i.id) % 2 === parity), t).tpr);
      return { dataset: name, 'development (even)': half(0), 'held out (odd)': half(1) };
    }),
  );

  const falsePositives = Object.entries(scored).flatMap(([name, items]) => items.filter((i) => i.label === 0 && i.score >= t).map((i) => ({ name, ...i })));
  console.log(`\nFalse positives at ${t}: ${falsePositives.length}`);
  for (const fp of falsePositives) console.log(`  ${fp.name} ${fp.id} score=${fp.score} ${fp.rules.join(',')}${SHOW_EXAMPLES ? `\n    ${JSON.stringify(fp.text.slice(0, 300))}` : ''}`);
  if (SHOW_EXAMPLES) {
    const misses = Object.entries(scored).flatMap(([name, items]) => items.filter((i) => i.label === 1 && i.score < t && !name.startsWith('bipia-')).map((i) => ({ name, ...i })));
    console.log(`\nMissed positives outside BIPIA contexts: ${misses.length}`);
    for (const m of misses) console.log(`  ${m.name} ${m.id} score=${m.score} ${JSON.stringify(m.text.slice(0, 160))}`);
  }

  console.log(`\nscanned ${(chars / 1e6).toFixed(1)} MB in ${(scanMs / 1000).toFixed(1)} s (${((chars / 1e6) / (scanMs / 1000)).toFixed(1)} MB/s); total ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

main();
