// Server-sent event framing, in one place: every dialect's stream encoder writes frames with it.

/** One SSE frame. Data with newlines becomes several `data:` lines, as the format requires. */
export function sseFrame(data: string, event?: string): string {
  const head = event ? `event: ${event}\n` : '';
  return `${head}data: ${data.split(/\r\n|\r|\n/).join('\ndata: ')}\n\n`;
}
