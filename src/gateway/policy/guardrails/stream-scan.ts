// Acting on a model's answer while it streams: text is released as it comes, minus a short tail
// held back in case a secret or card number is still arriving. What is released has been scanned
// with what came before it, so a value cut across chunks is still seen whole.
//
// What is held back (bounded by `max`):
// - the last `hold` characters, extended back to the start of the word they cut (a token is never split);
// - a finding that reaches into that tail (it may still be growing), from its start;
// - an unterminated `-----BEGIN ...` block (a private key is only recognised once its END line came).
// Past `max` characters held, the oldest are released anyway (with what the scan knows then), so a
// stream that never pauses cannot grow the buffer without end.
import type { ActedFinding } from './pipeline.js';

export interface StreamScanOptions {
  /** Findings on a text (the guardrails at the answer's location). */
  scan(text: string): ActedFinding[];
  /** The replacement for a masked span. */
  mask(f: ActedFinding): string;
  /** Values the client sent itself (put back from the session's placeholders): never masked. */
  own?(value: string): boolean;
  hold?: number;
  max?: number;
  /** Characters of released text kept to scan with what comes next. */
  context?: number;
}

export interface Released {
  /** Text to send now (masked). */
  text: string;
  /** Findings in what was released (each reported once). */
  findings: ActedFinding[];
  masked: number;
  /** A `block` finding: send `text` and end the answer. */
  blocked?: ActedFinding;
}

export interface StreamScanner {
  push(text: string): Released;
  /** Releases everything held (the block or answer ended). */
  flush(): Released;
}

export const STREAM_HOLD = 96;
export const STREAM_MAX = 16 * 1024;
const CONTEXT = 256;
const isSpace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

export function createStreamScanner(o: StreamScanOptions): StreamScanner {
  const hold = o.hold ?? STREAM_HOLD;
  const max = o.max ?? STREAM_MAX;
  const contextSize = o.context ?? CONTEXT;
  let buf = '';
  /** The end of what was released, as original text (unmasked), for scanning across the seam. */
  let context = '';
  /** Characters released so far: findings are remembered by absolute position so none is reported twice. */
  let released = 0;
  const reported = new Set<string>();

  const step = (final: boolean): Released => {
    const whole = context + buf;
    const shift = context.length;
    const findings = o.scan(whole).map((f) => ({ ...f, start: f.start - shift, end: f.end - shift })).filter((f) => f.end > 0);
    let cut = final ? buf.length : releasePoint(buf, hold, max);
    const forced = !final && buf.length > max;
    const acting = (f: ActedFinding): boolean => (f.action === 'mask' || f.action === 'mask-and-restore') && !o.own?.(whole.slice(f.start + shift, f.end + shift));
    // A blocking finding ends the answer: everything before it goes out (its own masks applied), none of it.
    const blocked = findings.find((f) => f.action === 'block' || f.action === 'ask');
    if (blocked) cut = Math.max(0, blocked.start);
    else if (!forced && !final) {
      for (const f of findings) if (acting(f) && f.end > cut && f.start < cut) cut = Math.max(0, f.start);
    }
    let text = '';
    let at = 0;
    let masked = 0;
    const out: ActedFinding[] = [];
    for (const f of findings) {
      if (f.start >= cut && f !== blocked) continue;
      const key = `${f.rule}@${released + f.start}`;
      if (!reported.has(key)) {
        reported.add(key);
        out.push({ ...f, start: released + f.start, end: released + f.end });
      }
      if (f === blocked || !acting(f)) continue;
      const from = Math.max(at, f.start, 0);
      const to = Math.min(f.end, cut);
      if (to <= from) continue;
      text += buf.slice(at, from) + o.mask(f);
      at = to;
      masked++;
    }
    text += buf.slice(at, cut);
    context = (context + buf.slice(0, cut)).slice(-contextSize);
    buf = buf.slice(cut);
    released += cut;
    return { text, findings: out, masked, ...(blocked ? { blocked } : {}) };
  };

  return {
    push(text) {
      buf += text;
      if (buf.length <= hold) return { text: '', findings: [], masked: 0 };
      return step(false);
    },
    flush: () => step(true),
  };
}

/** Where the text can be cut now: before the held tail, the word it cuts, and an open key block. */
function releasePoint(buf: string, hold: number, max: number): number {
  if (buf.length > max) return buf.length - hold;
  let cut = buf.length - hold;
  while (cut > 0 && !isSpace(buf.charCodeAt(cut - 1)) && !isSpace(buf.charCodeAt(cut))) cut--;
  const begin = buf.lastIndexOf('-----BEGIN');
  if (begin >= 0 && begin < cut && !buf.includes('-----END', begin)) cut = begin;
  return Math.max(0, cut);
}

/** A whole text (a non-streamed answer) scanned and masked at once. */
export function scanWhole(o: StreamScanOptions, text: string): Released {
  const s = createStreamScanner({ ...o, hold: Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER });
  s.push(text);
  return s.flush();
}
