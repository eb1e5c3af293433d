// The ledger's key: 32 random bytes in the OS keychain (`gatehouse.ledger-key.LEDGERID`), made the first
// time and read at each start. Without it the chain goes on unkeyed (recorded, with the reason), so a
// keychain that is absent or frozen never stops the gateway.
import { randomBytes } from 'node:crypto';
import type { Logger } from './log.js';
import type { SecretStore } from './secrets/store.js';
import type { KeyLookup } from './store/audit.js';
import type { Db } from './store/db.js';
import { chainMode, LEDGER_KEYED, LEDGER_PRUNED, type LedgerKey } from './store/ledger.js';

export const ledgerKeyName = (ledgerId: string): string => `gatehouse.ledger-key.${ledgerId}`;
const KEY_HEX = /^[0-9a-f]{64}$/;

/** Reads any ledger's key from the keychain (null when it is not there or the keychain cannot be read). */
export function keychainLookup(store: SecretStore): KeyLookup {
  return async (ledgerId) => {
    const hex = await store.get(ledgerKeyName(ledgerId)).catch(() => null);
    return hex && KEY_HEX.test(hex) ? Buffer.from(hex, 'hex') : null;
  };
}

/** The ledger id the chain was last keyed with (also when it is unkeyed now, or the switch was pruned away). */
function lastLedgerId(db: Db): string | undefined {
  const mode = chainMode(db);
  if (mode.keyed) return mode.ledgerId;
  const row = db.prepare(`SELECT type, body FROM events WHERE type IN ('${LEDGER_KEYED}', '${LEDGER_PRUNED}') ORDER BY seq DESC LIMIT 1`).get() as { type: string; body: string } | undefined;
  if (!row) return undefined;
  const b = JSON.parse(row.body) as { ledgerId?: string; next?: { ledgerId?: string } };
  return row.type === LEDGER_KEYED ? b.ledgerId : b.next?.ledgerId;
}

/**
 * The key this start writes with: the one the chain was keyed with when the keychain still holds it,
 * else a new one (stored first). Null, with the reason, when the keychain cannot be used.
 */
export async function loadLedgerKey(db: Db, store: SecretStore, log: Logger): Promise<{ key: LedgerKey | null; reason?: string }> {
  try {
    const known = lastLedgerId(db);
    if (known) {
      const hex = await store.get(ledgerKeyName(known));
      if (hex && KEY_HEX.test(hex)) return { key: { ledgerId: known, key: Buffer.from(hex, 'hex') } };
      log.warn({ ledgerId: known }, `the key of ledger ${known} is not in the keychain (${ledgerKeyName(known)}): a new key starts here, and the records keyed with the old one can no longer be verified`);
    }
    const ledgerId = randomBytes(8).toString('hex');
    const key = randomBytes(32);
    await store.set(ledgerKeyName(ledgerId), key.toString('hex'));
    return { key: { ledgerId, key } };
  } catch (err) {
    const reason = `the keychain could not be used: ${(err as Error).message}`;
    log.error({ err: (err as Error).message }, 'the ledger goes on unkeyed: its key could not be read from or stored in the keychain');
    return { key: null, reason };
  }
}
