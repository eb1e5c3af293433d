// The models each provider offers upstream, listed as provider/model and cached for a while.
import type { ProviderRuntime } from './providers/types.js';
import type { Logger } from '../log.js';

const TTL_MS = 5 * 60_000;
const TIMEOUT_MS = 5_000;

/** A dead or slow provider costs one timeout per TTL, not one per listing. */
export function createUpstreamModelCache(providers: () => ProviderRuntime[], log: () => Logger): { list(): Promise<string[]>; clear(): void } {
  let cached: { at: number; ids: string[] } | null = null;
  let inflight: Promise<string[]> | null = null;

  async function fetchOne(p: ProviderRuntime): Promise<string[]> {
    try {
      return (await p.listModels(AbortSignal.timeout(TIMEOUT_MS))).map((id) => `${p.id}/${id}`);
    } catch (err) {
      log().warn({ provider: p.id, err: (err as Error).message }, 'provider model listing failed');
      return [];
    }
  }

  return {
    async list() {
      if (cached && Date.now() - cached.at < TTL_MS) return cached.ids;
      inflight ??= Promise.all(providers().filter((p) => !p.unavailable).map(fetchOne))
        .then((lists) => {
          cached = { at: Date.now(), ids: lists.flat() };
          return cached.ids;
        })
        .finally(() => {
          inflight = null;
        });
      return inflight;
    },
    clear() {
      cached = null;
    },
  };
}
