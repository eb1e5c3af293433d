// Edits of a `.env` file (KEY=value lines) that keep the user's other lines and comments.

/** `value` as dotenv reads it back: bare when it is plain, else double-quoted with escapes. */
function dotenvValue(value: string): string {
  return /^[A-Za-z0-9_./:@+=,-]*$/.test(value) ? value : `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/**
 * Sets each variable: its first `NAME=` line (with or without `export`) is replaced, later
 * duplicates removed (the first would win otherwise, or the last, depending on the reader), and a
 * variable not there yet is appended. Returns `current` unchanged when nothing differs.
 */
export function editDotenv(current: string | null, values: [name: string, value: string][]): string {
  const text = current ?? '';
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text === '' ? [] : text.replace(/\r\n/g, '\n').replace(/\n$/, '').split('\n');
  for (const [name, value] of values) {
    const line = `${name}=${dotenvValue(value)}`;
    const re = new RegExp(`^\\s*(?:export\\s+)?${name}\\s*=`);
    const at = lines.findIndex((l) => re.test(l));
    if (at < 0) {
      lines.push(line);
      continue;
    }
    lines[at] = line;
    for (let j = lines.length - 1; j > at; j--) if (re.test(lines[j]!)) lines.splice(j, 1);
  }
  const next = `${lines.join(eol)}${eol}`;
  return current !== null && next === current ? current : next;
}
