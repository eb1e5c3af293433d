// Codex: a `gatehouse` model provider in $CODEX_HOME/config.toml (default ~/.codex/config.toml).
//
// Sources (checked 2026-11):
// - openai/codex docs/config.md: config is read from $CODEX_HOME/config.toml; top-level `model`
//   and `model_provider`; custom providers under [model_providers.<id>].
// - openai/codex codex-rs/model-provider-info/src/lib.rs (ModelProviderInfo): `name`, `base_url`,
//   `env_key`, `experimental_bearer_token` (the value for `Authorization: Bearer`, "discouraged in
//   favor of env_key"), `http_headers` (static headers), `env_http_headers`, `wire_api` (only
//   "responses"; "chat" is refused), `requires_openai_auth` (the ChatGPT / OpenAI sign-in screen and
//   its token instead of env_key), `supports_websockets` (default false).
// - All six fields appear in the Codex 0.169.0 binary pinned in test/agents; test/e2e/agents.test.ts
//   runs that version against this provider shape.
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { editToml, type TomlValue } from '../formats/toml.js';
import type { Recipe } from '../recipe.js';
import { dirFrom } from './paths.js';

export const CODEX_PROVIDER_ID = 'gatehouse';

export const codex: Recipe = {
  id: 'codex',
  title: 'Codex',
  family: 'openai',
  subscription: true,
  sources: ['https://github.com/openai/codex/blob/main/docs/config.md', 'https://github.com/openai/codex/blob/main/codex-rs/model-provider-info/src/lib.rs'],
  plan(input, read) {
    const path = join(dirFrom(input.env, 'CODEX_HOME', join(input.home, '.codex')), 'config.toml');
    const entries: Record<string, TomlValue> = {
      name: 'Gatehouse',
      base_url: `${input.gatewayUrl}/v1`,
      wire_api: 'responses',
      // Gatehouse serves the Responses API's WebSocket mode too: Codex uses it first, and falls back to HTTP.
      supports_websockets: true,
      ...(input.subscription ? { requires_openai_auth: true, http_headers: { 'x-gatehouse-key': input.key } } : { experimental_bearer_token: input.key }),
    };
    const notes: string[] = [];
    const profile = activeProfile(read(path));
    if (profile) notes.push(`${path} selects profile "${profile}": a model or model_provider set in [profiles.${profile}] overrides the ones written here.`);
    if (input.subscription) {
      notes.push('Keep signing in with `codex login` (ChatGPT or your OpenAI key): Codex sends that sign-in to Gatehouse, which passes it to the route\'s OpenAI-format provider unchanged; the key travels in x-gatehouse-key.');
    } else {
      notes.push('The key is in config.toml as experimental_bearer_token (the file is mode 0600). To keep it out of the file, put env_key = "GATEHOUSE_KEY" in its place and export GATEHOUSE_KEY.');
    }
    if (input.smallModel !== undefined) notes.push('Codex has no setting for a separate small model: --small-model is not used.');
    return {
      files: [
        {
          path,
          secret: true,
          merge: (current) => editToml(current, { top: { model: input.model, model_provider: CODEX_PROVIDER_ID }, table: { path: ['model_providers', CODEX_PROVIDER_ID], entries } }, path),
        },
      ],
      notes,
    };
  },
};

/** The `profile` the file selects, if any (an unreadable file is reported when it is merged). */
function activeProfile(text: string | null): string | null {
  if (!text) return null;
  try {
    const p = (parse(text) as Record<string, unknown>).profile;
    return typeof p === 'string' ? p : null;
  } catch {
    return null;
  }
}
