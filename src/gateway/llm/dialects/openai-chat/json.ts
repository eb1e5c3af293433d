// Small readers for untrusted Chat Completions JSON, shared by the request, response and stream codecs.
import { GatewayError } from '../../../errors.js';

export type Json = Record<string, unknown>;

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A string field, or undefined for anything else (replies from compatible servers are loose). */
export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** How a value looks, for error messages: "a string", "null", "an array"... */
export function shapeOf(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return `a ${typeof v}`;
}

/** A 400 naming the offending field by its path, e.g. `messages[3].content[1]`. */
export function bad(path: string, message: string): GatewayError {
  return new GatewayError('BAD_REQUEST', `${path}: ${message}`, { param: path });
}

export function expected(path: string, what: string, got: unknown): GatewayError {
  return bad(path, `expected ${what}, got ${shapeOf(got)}`);
}
