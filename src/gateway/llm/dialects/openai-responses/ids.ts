// Ids for objects the gateway writes in Responses shape when the canonical data has none (resp_, msg_, fc_, rs_).
import { randomBytes } from 'node:crypto';

/** OpenAI's ids are a type prefix and an opaque suffix; clients only compare them, so random hex does. */
export function newId(prefix: 'resp' | 'msg' | 'fc' | 'rs'): string {
  return `${prefix}_${randomBytes(16).toString('hex')}`;
}
