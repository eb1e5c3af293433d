// Reading request bodies with a size limit and writing JSON replies.
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError } from '../errors.js';

export async function readBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limitBytes) throw tooLarge(limitBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limitBytes) throw tooLarge(limitBytes);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

function tooLarge(limit: number): GatewayError {
  return new GatewayError('BODY_TOO_LARGE', `the request body is larger than the gateway's limit of ${Math.round(limit / 1048576)} MiB`);
}

export async function readJson(req: IncomingMessage, limitBytes: number): Promise<{ json: unknown; bytes: number; sha256: string }> {
  const raw = await readBody(req, limitBytes);
  // The bytes are hashed for the ledger and then let go: a 32 MiB body is not held twice for the
  // whole life of a long stream.
  const digest = { bytes: raw.length, sha256: createHash('sha256').update(raw).digest('hex') };
  if (raw.length === 0) return { json: {}, ...digest };
  try {
    return { json: JSON.parse(raw.toString('utf8')), ...digest };
  } catch (err) {
    throw new GatewayError('BAD_REQUEST', `the request body is not valid JSON (${(err as Error).message})`);
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
