// Typed readers for request fields that name the offending path, on top of the Chat dialect's JSON helpers.
import { bad, expected, isObject, type Json } from '../openai-chat/json.js';

/** Absent and null both mean "not given" (OpenAI's types make most fields nullable). */
function given(v: unknown): boolean {
  return v !== undefined && v !== null;
}

export function optString(v: unknown, path: string): string | undefined {
  if (!given(v)) return undefined;
  if (typeof v !== 'string') throw expected(path, 'a string', v);
  return v;
}

export function optNumber(v: unknown, path: string): number | undefined {
  if (!given(v)) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw expected(path, 'a number', v);
  return v;
}

export function optInteger(v: unknown, path: string, min: number): number | undefined {
  const n = optNumber(v, path);
  if (n === undefined) return undefined;
  if (!Number.isInteger(n) || n < min) throw bad(path, `expected an integer of at least ${min}, got ${n}`);
  return n;
}

export function optBoolean(v: unknown, path: string): boolean | undefined {
  if (!given(v)) return undefined;
  if (typeof v !== 'boolean') throw expected(path, 'true or false', v);
  return v;
}

export function object(v: unknown, path: string): Json {
  if (!isObject(v)) throw expected(path, 'an object', v);
  return v;
}

export function array(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) throw expected(path, 'an array', v);
  return v;
}

export function requiredString(v: unknown, path: string): string {
  if (typeof v !== 'string') throw expected(path, 'a string', v);
  return v;
}
