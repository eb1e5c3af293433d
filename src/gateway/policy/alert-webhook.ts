// Budget alerts to a webhook: one JSON POST per alert, off the request path, bounded in time;
// a failure is logged (with the URL's host only: its path or query may hold a token), never retried forever.
import type { BudgetAlert } from '../../shared/contract.js';
import type { Logger } from '../log.js';
import type { SecretResolver } from '../secrets/resolver.js';

export interface AlertWebhook {
  url: string;
  headers: Record<string, string>;
}

const TIMEOUT_MS = 5_000;

export async function postAlert(hook: AlertWebhook, alert: BudgetAlert, secrets: SecretResolver, log: Logger): Promise<void> {
  const host = new URL(hook.url).host;
  try {
    await secrets.prime(Object.values(hook.headers).flatMap((v) => secrets.refsIn(v)));
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    for (const [name, value] of Object.entries(hook.headers)) headers[name] = secrets.interpolate(value);
    const res = await fetch(hook.url, { method: 'POST', headers, body: JSON.stringify({ type: 'budget.alert', ...alert }), signal: AbortSignal.timeout(TIMEOUT_MS) });
    await res.body?.cancel();
    if (!res.ok) log.warn({ host, status: res.status }, 'the budget alert webhook answered with an error');
  } catch (err) {
    log.warn({ host, err: secrets.redact((err as Error).message) }, 'the budget alert webhook could not be called');
  }
}
