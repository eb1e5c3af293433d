// opencode: a `gatehouse` custom provider in its global config, ~/.config/opencode/opencode.json.
//
// Sources (checked 2026-11):
// - anomalyco/opencode (formerly sst/opencode) packages/web/src/content/docs/providers.mdx, "Custom
//   provider": `provider.<id>` with `npm: "@ai-sdk/openai-compatible"` (for /v1/chat/completions),
//   `name`, `options.baseURL`, `options.apiKey`, `options.headers`, and `models` keyed by model id.
// - packages/web/src/content/docs/config.mdx: the global config is ~/.config/opencode/opencode.json,
//   JSON or JSONC; configs are merged (a project's opencode.json overrides the global one);
//   `model` and `small_model` are `provider/model`.
// - packages/opencode/src/global/index.ts: the folder is xdg-basedir's config home + "opencode",
//   i.e. $XDG_CONFIG_HOME/opencode when that is set; src/config/config.ts global() merges
//   config.json, opencode.json and opencode.jsonc from there, in that order.
import { join } from 'node:path';
import { editJson, type JsonChange } from '../formats/json.js';
import type { Recipe } from '../recipe.js';
import { dirFrom } from './paths.js';

export const OPENCODE_PROVIDER_ID = 'gatehouse';

export const opencode: Recipe = {
  id: 'opencode',
  title: 'opencode',
  family: 'openai',
  subscription: false,
  sources: ['https://github.com/anomalyco/opencode/blob/dev/packages/web/src/content/docs/providers.mdx', 'https://github.com/anomalyco/opencode/blob/dev/packages/web/src/content/docs/config.mdx'],
  plan(input, read) {
    const dir = join(dirFrom(input.env, 'XDG_CONFIG_HOME', join(input.home, '.config')), 'opencode');
    // opencode.jsonc is read last, so it has the last word when both exist.
    const path = read(join(dir, 'opencode.jsonc')) !== null ? join(dir, 'opencode.jsonc') : join(dir, 'opencode.json');
    const provider = ['provider', OPENCODE_PROVIDER_ID];
    const models = [input.model, ...(input.smallModel !== undefined && input.smallModel !== input.model ? [input.smallModel] : [])];
    const changes: JsonChange[] = [
      { path: [...provider, 'npm'], value: '@ai-sdk/openai-compatible' },
      { path: [...provider, 'name'], value: 'Gatehouse' },
      { path: [...provider, 'options', 'baseURL'], value: `${input.gatewayUrl}/v1` },
      { path: [...provider, 'options', 'apiKey'], value: input.key },
      // A model entry the user has already tuned (limits, options) is left as it is.
      ...models.map((m): JsonChange => ({ path: [...provider, 'models', m], value: { name: m }, ifAbsent: true })),
      { path: ['model'], value: `${OPENCODE_PROVIDER_ID}/${input.model}` },
      ...(input.smallModel !== undefined ? [{ path: ['small_model'], value: `${OPENCODE_PROVIDER_ID}/${input.smallModel}` }] : []),
    ];
    return {
      files: [
        {
          path,
          secret: true,
          merge: (current) => editJson(current, current === null ? [{ path: ['$schema'], value: 'https://opencode.ai/config.json' }, ...changes] : changes, path),
        },
      ],
      notes: [`A project's opencode.json overrides ${path} where both set the same key (opencode merges them).`],
    };
  },
};
