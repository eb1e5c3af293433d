// Reading request bodies with a size limit and writing JSON replies.
import { hash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError } from '../errors.js';

/**
 * Reads a request body of at most `limitBytes`. Past the limit the rest is no longer read and the
 * request is left open (not destroyed), so the 413 can still be written; the reply closes the connection.
 */
export async function readBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limitBytes) throw tooLarge(limitBytes);
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limitBytes) {
        done();
        req.pause();
        reject(tooLarge(limitBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      done();
      // A body that came in one chunk (most do) is used as it is, not copied.
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (err: Error): void => {
      done();
      reject(err);
    };
    const onAborted = (): void => onError(new GatewayError('BAD_REQUEST', 'the client closed the connection before its request body ended'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}

function tooLarge(limit: number): GatewayError {
  return new GatewayError('BODY_TOO_LARGE', `the request body is larger than the gateway's limit of ${Math.round(limit / 1048576)} MiB`);
}

export interface ReadJson {
  json: unknown;
  bytes: number;
  sha256: string;
  /** The bytes as they came (empty for an empty body). */
  raw: Buffer;
}

export async function readJson(req: IncomingMessage, limitBytes: number): Promise<ReadJson> {
  const raw = await readBody(req, limitBytes);
  const digest = { bytes: raw.length, sha256: hash('sha256', raw, 'hex'), raw };
  if (raw.length === 0) return { json: {}, ...digest };
  const text = raw.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new GatewayError('BAD_REQUEST', `the request body is not valid JSON (${(err as Error).message})`);
  }
  if (nestingDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
    throw new GatewayError('BAD_REQUEST', `the request body nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels; no API the gateway serves needs that many`);
  }
  return { json, ...digest };
}

/**
 * JSON.parse takes any depth, but everything after it (re-encoding for the provider, translation,
 * guardrails, canonical JSON) recurses and would overflow the stack a few thousand levels down.
 */
export const MAX_JSON_DEPTH = 256;

/**
 * How deep `text` (valid JSON) nests, counting up to `limit + 1`. Strings are skipped with indexOf,
 * so a 400 KB prompt costs a few hundredths of a millisecond.
 */
export function nestingDepth(text: string, limit: number): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) i = closingQuote(text, i + 1);
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max && (max = depth) > limit) return max;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

/** The index of the quote that ends the string starting at `from` (one not escaped by an odd run of backslashes). */
function closingQuote(text: string, from: number): number {
  for (let j = from; ; ) {
    const q = text.indexOf('"', j);
    if (q < 0) return text.length;
    let slashes = 0;
    while (text.charCodeAt(q - 1 - slashes) === 0x5c) slashes++;
    if (slashes % 2 === 0) return q;
    j = q + 1;
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** A value a header can carry: characters beyond printable ASCII (a model name the client made up) percent-encoded. */
export function headerSafe(value: string): string {
  return /^[\t\x20-\x7e]*$/.test(value) ? value : value.replace(/[^\t\x20-\x7e]+/gu, (run) => encodeURIComponent(run.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd')));
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
