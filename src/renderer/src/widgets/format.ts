// Numbers and times as the UI shows them: dollars, durations, relative times. Pure, so tested in Node.

/** `$1.25`; below a cent, four decimals (`$0.0012`). */
export function usd(n: number): string {
  const abs = Math.abs(n);
  return `$${n.toFixed(abs !== 0 && abs < 0.01 ? 4 : 2)}`;
}

/** A span as its two largest units: `3 d 4 h`, `5 min 2 s`, `40 s`. */
export function span(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const values = [Math.floor(s / 86_400), Math.floor(s / 3600) % 24, Math.floor(s / 60) % 60, s % 60];
  const names = ['d', 'h', 'min', 's'];
  const i = values.findIndex((v) => v > 0);
  if (i < 0) return '0 s';
  const next = values[i + 1];
  return next ? `${values[i]} ${names[i]} ${next} ${names[i + 1]}` : `${values[i]} ${names[i]}`;
}

/** `5 min ago`, `in 3 h 2 min`, `just now`. */
export function relative(iso: string, nowMs: number): string {
  const d = Date.parse(iso) - nowMs;
  if (Number.isNaN(d)) return iso;
  if (Math.abs(d) < 5_000) return 'just now';
  return d < 0 ? `${span(-d)} ago` : `in ${span(d)}`;
}

/** The absolute time for a tooltip: local, to the second. */
export function absolute(iso: string): string {
  const t = new Date(iso);
  return Number.isNaN(t.getTime()) ? iso : t.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

export function count(n: number): string {
  return n.toLocaleString('en-US');
}
