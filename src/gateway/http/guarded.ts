// Guardrails on a model call: the request body guarded as it is (masked, findings recorded, a
// blocking rule refused), and the answer's placeholders put back, in whole replies and in streams.
import type { CanonicalResponse, StreamEvent } from '../llm/canonical.js';
import type { Restorer } from '../llm/translate.js';
import { GatewayError } from '../errors.js';
import { guardBody, type GuardedBody } from '../policy/guardrails/mask.js';
import type { ActedFinding, Guardrails } from '../policy/guardrails/pipeline.js';
import { createStreamScanner, scanWhole, type Released, type StreamScanner } from '../policy/guardrails/stream-scan.js';
import type { Vault } from '../policy/guardrails/vault.js';
import type { Ledger } from '../store/ledger.js';
import type { Logger } from '../log.js';

/** A value put back inside a JSON string (tool-call arguments) must be escaped as JSON. */
const jsonEscape = (v: string): string => JSON.stringify(v).slice(1, -1);

/**
 * Guards the request body in place. Findings are recorded (rule, kind, action, where — never the
 * text); a `block` finding refuses the request naming the rule.
 */
export function guardLlmInput(deps: { guardrails: Guardrails; ledger: Ledger; log: Logger }, body: Record<string, unknown>, vault: Vault, ids: { requestId: string; keyId: string }): GuardedBody {
  const g = guardBody(body, deps.guardrails, vault, 'llm.input');
  if (g.findings.length > 0) {
    deps.ledger
      .append({ type: 'guardrail.findings', requestId: ids.requestId, keyId: ids.keyId, location: 'llm.input', masked: g.masked, findings: g.findings })
      .catch((e: Error) => deps.log.error({ err: e.message }, 'could not record guardrail findings'));
  }
  if (g.blocked) {
    throw new GatewayError(
      'GUARDRAIL_BLOCKED',
      `the request was blocked by the guardrail rule "${g.blocked.rule}" (found in ${g.blocked.path || 'the body'}); remove it, or change the action for its kind under guardrails in the config`,
    );
  }
  return g;
}

/** What a person is shown of a prompt that asks: each text with an `ask` finding (cut to 2,000 characters), by where it is. */
export function askedTexts(body: Record<string, unknown>, g: GuardedBody): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of g.findings) {
    if (f.action !== 'ask' || f.path in out) continue;
    const v = valueAtPath(body, f.path);
    if (typeof v === 'string') out[f.path || '(body)'] = v.length > 2000 ? `${v.slice(0, 2000)}…` : v;
  }
  return out;
}

/** The value at a path as guardBody writes it (`messages[0].content[1].text`). */
function valueAtPath(root: unknown, path: string): unknown {
  let v = root;
  for (const part of path.match(/[^.[\]]+/g) ?? []) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

/** Puts the vault's restorable values back into what the model answered, after `inner` (translation) has done its part. */
export function placeholderRestorer(vault: Vault, inner: Restorer): Restorer {
  type Open = { kind: 'text' | 'args' | 'reasoning'; stream: ReturnType<Vault['stream']> };
  const open = new Map<number, Open>();
  const streamOf = (index: number, kind: Open['kind']): Open['stream'] => {
    let o = open.get(index);
    if (!o) open.set(index, (o = { kind, stream: vault.stream(kind === 'args' ? jsonEscape : undefined) }));
    return o.stream;
  };
  const flush = (index: number, out: StreamEvent[]): void => {
    const o = open.get(index);
    if (!o) return;
    open.delete(index);
    const rest = o.stream.flush();
    if (!rest) return;
    if (o.kind === 'text') out.push({ type: 'text_delta', index, text: rest });
    else if (o.kind === 'args') out.push({ type: 'tool_args_delta', index, json: rest });
    else out.push({ type: 'reasoning_delta', index, text: rest });
  };
  return {
    response(res: CanonicalResponse): CanonicalResponse {
      const r = inner.response(res);
      return {
        ...r,
        content: r.content.map((p) =>
          p.type === 'text'
            ? { ...p, text: vault.restore(p.text) }
            : p.type === 'tool_call'
              ? { ...p, arguments: vault.restore(p.arguments, jsonEscape) }
              : p.text !== undefined
                ? { ...p, text: vault.restore(p.text) }
                : p,
        ),
      };
    },
    event(ev: StreamEvent): StreamEvent[] {
      const out: StreamEvent[] = [];
      for (const e of inner.event(ev)) {
        if (e.type === 'text_delta') {
          const text = streamOf(e.index, 'text').push(e.text);
          if (text) out.push({ ...e, text });
        } else if (e.type === 'tool_args_delta') {
          const json = streamOf(e.index, 'args').push(e.json);
          if (json) out.push({ ...e, json });
        } else if (e.type === 'reasoning_delta' && e.text !== undefined) {
          const text = streamOf(e.index, 'reasoning').push(e.text);
          if (text || e.signature || e.opaque) out.push({ ...e, text });
        } else if (e.type === 'block_end') {
          flush(e.index, out);
          out.push(e);
        } else if (e.type === 'finish' || e.type === 'error') {
          // A block the upstream never ended gives back what it held before the stream ends.
          for (const index of [...open.keys()]) flush(index, out);
          out.push(e);
        } else out.push(e);
      }
      return out;
    },
  };
}

/**
 * What the guardrails find in a model's answer (`llm.output`), recorded as a `guardrail.findings`
 * event; the answer was already delivered, so nothing is masked or blocked here.
 */
export function recordOutputFindings(deps: { guardrails: Guardrails; ledger: Ledger; log: Logger }, ids: { requestId: string; keyId: string }, text: string): void {
  try {
    const findings = deps.guardrails.scan(text, 'llm.output').map((f) => ({ type: f.type, rule: f.rule, score: f.score, action: f.action, location: f.location, ...(f.warnOnly ? { warnOnly: true } : {}) }));
    if (findings.length === 0) return;
    deps.ledger
      .append({ type: 'guardrail.findings', requestId: ids.requestId, keyId: ids.keyId, location: 'llm.output', recordedOnly: true, findings })
      .catch((e: Error) => deps.log.error({ err: e.message }, 'could not record guardrail findings'));
  } catch (err) {
    deps.log.error({ err: (err as Error).message }, 'output guardrails failed');
  }
}

/** What the output guardrails did to one answer, for its record. */
export interface OutputGuardReport {
  findings: { type: string; rule: string; score: number; action: string; location: 'llm.output'; warnOnly?: boolean }[];
  masked: number;
  blocked?: string;
}

const maskText = (f: ActedFinding): string => `[masked:${f.rule}]`;
const withheld = (rule: string): string => `\n\n[Gatehouse withheld the rest of this answer: it matched the guardrail rule "${rule}".]`;

/**
 * Acts on the answer with the call's guardrails (`output: enforce`): values masked, a `block` (or
 * `ask`) finding ends it there. Streams are released as they come, minus a short held-back tail
 * (policy/guardrails/stream-scan.ts); the client's own values, put back by `inner`, are left alone.
 */
export function outputGuard(guard: Guardrails, vault: Vault, inner: Restorer, report: OutputGuardReport): Restorer {
  const scan = (text: string): ActedFinding[] => guard.scan(text, 'llm.output', { remember: false });
  const note = (r: Released): void => {
    for (const f of r.findings) report.findings.push({ type: f.type, rule: f.rule, score: f.score, action: f.action, location: 'llm.output', ...(f.warnOnly ? { warnOnly: true } : {}) });
    report.masked += r.masked;
    if (r.blocked && !report.blocked) report.blocked = r.blocked.rule;
  };
  const own = (v: string): boolean => vault.holds(v);
  type Open = { kind: 'text' | 'args'; scanner: StreamScanner };
  const open = new Map<number, Open>();
  const scannerOf = (index: number, kind: Open['kind']): StreamScanner => {
    let o = open.get(index);
    if (!o) open.set(index, (o = { kind, scanner: createStreamScanner({ scan, mask: maskText, own }) }));
    return o.scanner;
  };
  /** Emits what a scanner released; on a block, the note that the rest was withheld, and nothing after. */
  const emit = (index: number, kind: Open['kind'], r: Released, out: StreamEvent[]): void => {
    note(r);
    let text = r.text;
    if (r.blocked && kind === 'text') text += withheld(r.blocked.rule);
    if (text) out.push(kind === 'text' ? { type: 'text_delta', index, text } : { type: 'tool_args_delta', index, json: text });
  };
  const flush = (index: number, out: StreamEvent[]): void => {
    const o = open.get(index);
    if (!o) return;
    open.delete(index);
    emit(index, o.kind, o.scanner.flush(), out);
  };
  const halted = (): boolean => report.blocked !== undefined;
  return {
    halted,
    response(res: CanonicalResponse): CanonicalResponse {
      const r = inner.response(res);
      const content: CanonicalResponse['content'] = [];
      for (const p of r.content) {
        if (p.type !== 'text' && p.type !== 'tool_call') {
          content.push(p);
          continue;
        }
        const whole = scanWhole({ scan, mask: maskText, own }, p.type === 'text' ? p.text : p.arguments);
        note(whole);
        if (whole.blocked) {
          content.push({ type: 'text', text: whole.text ? whole.text + withheld(whole.blocked.rule) : withheld(whole.blocked.rule).trimStart() });
          return { ...r, content, stopReason: 'content_filter' };
        }
        content.push(p.type === 'text' ? { ...p, text: whole.text } : { ...p, arguments: whole.text });
      }
      return { ...r, content };
    },
    event(ev: StreamEvent): StreamEvent[] {
      if (halted()) return [];
      const out: StreamEvent[] = [];
      for (const e of inner.event(ev)) {
        if (e.type === 'text_delta' || e.type === 'tool_args_delta') {
          const kind = e.type === 'text_delta' ? 'text' : 'args';
          emit(e.index, kind, scannerOf(e.index, kind).push(e.type === 'text_delta' ? e.text : e.json), out);
        } else if (e.type === 'block_end') {
          flush(e.index, out);
          if (!halted()) out.push(e);
        } else if (e.type === 'finish' || e.type === 'error') {
          for (const index of [...open.keys()]) flush(index, out);
          if (!halted()) out.push(e);
        } else out.push(e);
        if (halted()) return out;
      }
      return out;
    },
  };
}
