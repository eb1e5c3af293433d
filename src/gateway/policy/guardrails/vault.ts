// Placeholders for masked values: the same value gets the same placeholder through a whole session
// (so caches and the model's references stay stable), and placeholders of restorable values are
// put back in what the model answers — also when one arrives split over several stream chunks.

/** `[[masked:aws-access-key-id:1]]`: ASCII, unlikely in real text, copied verbatim by models. */
const PLACEHOLDER = /\[\[masked:[a-z0-9.-]{1,64}:\d{1,6}\]\]/g;
const PLACEHOLDER_MAX = '[[masked:'.length + 64 + 1 + 6 + 2;

export interface Vault {
  /** The placeholder for a value (the same one each time it is seen in the session). */
  placeholder(value: string, rule: string, restorable: boolean): string;
  /** Whether `value` is one the session's client sent (masked on the way in). */
  holds(value: string): boolean;
  /** Whether any restorable value is held: only then can an answer carry something to restore. */
  readonly restorable: boolean;
  /** Puts the restorable values back; `escape` wraps each (e.g. for the inside of a JSON string). */
  restore(text: string, escape?: (value: string) => string): string;
  /** A restorer for one stream of text (one content block): holds back what may be a split placeholder. */
  stream(escape?: (value: string) => string): { push(text: string): string; flush(): string };
}

export function createVault(): Vault {
  const byValue = new Map<string, string>();
  const byPlaceholder = new Map<string, { value: string; restorable: boolean }>();
  const counters = new Map<string, number>();
  let restorable = false;

  const restore = (text: string, escape: (v: string) => string = (v) => v): string =>
    text.includes('[[masked:')
      ? text.replace(PLACEHOLDER, (p) => {
          const hit = byPlaceholder.get(p);
          return hit?.restorable ? escape(hit.value) : p;
        })
      : text;

  return {
    placeholder(value, rule, canRestore) {
      const known = byValue.get(value);
      if (known) {
        if (canRestore && !byPlaceholder.get(known)!.restorable) byPlaceholder.get(known)!.restorable = restorable = true;
        return known;
      }
      const n = (counters.get(rule) ?? 0) + 1;
      counters.set(rule, n);
      const p = `[[masked:${rule.toLowerCase().replace(/[^a-z0-9.-]/g, '-').slice(0, 64)}:${n}]]`;
      byValue.set(value, p);
      byPlaceholder.set(p, { value, restorable: canRestore });
      if (canRestore) restorable = true;
      return p;
    },
    holds: (value) => byValue.has(value),
    get restorable() {
      return restorable;
    },
    restore,
    stream(escape) {
      let pending = '';
      return {
        push(text) {
          pending += text;
          // Keep back a tail that could still become a placeholder: from its last "[[" (or a final "[").
          let cut = pending.length;
          const open = pending.lastIndexOf('[[');
          if (open >= 0 && !pending.includes(']]', open) && pending.length - open < PLACEHOLDER_MAX) cut = open;
          else if (pending.endsWith('[')) cut = pending.length - 1;
          const ready = pending.slice(0, cut);
          pending = pending.slice(cut);
          return restore(ready, escape);
        },
        flush() {
          const rest = restore(pending, escape);
          pending = '';
          return rest;
        },
      };
    },
  };
}

/** One vault per session (the agent's session id, else the key), the least recently used dropped past `max`. */
export function createVaults(max = 2_000): { get(session: string): Vault } {
  const vaults = new Map<string, Vault>();
  return {
    get(session) {
      let v = vaults.get(session);
      if (v) vaults.delete(session);
      else v = createVault();
      vaults.set(session, v);
      if (vaults.size > max) vaults.delete(vaults.keys().next().value!);
      return v;
    },
  };
}
