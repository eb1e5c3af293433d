// Continue: Gatehouse models in ~/.continue/config.yaml (chat/edit/apply, autocomplete, embeddings).
//
// Sources (checked 2026-11):
// - continuedev/continue docs/reference.mdx (config.yaml reference): top-level `name`, `version`,
//   `schema` (required), `models` with `name`, `provider`, `model`, `apiBase`, and `roles` among
//   chat, autocomplete, embed, rerank, edit, apply, summarize (default [chat, edit, apply, summarize]);
//   the global folder is ~/.continue.
// - docs/customize/model-providers/top-level/openai.mdx: `provider: openai` with `apiBase` for
//   OpenAI-compatible servers, and `apiKey`.
// - core/llm/llms/OpenAI.ts: autocomplete (raw completions) uses `<apiBase>/completions` unless the
//   model is a known chat-only one.
// - core/util/paths.ts: CONTINUE_GLOBAL_DIR replaces ~/.continue.
import { join } from 'node:path';
import { isMap, isSeq, type YAMLMap } from 'yaml';
import { parseYamlMap, renderYaml, sameYaml } from '../formats/yaml.js';
import { SetupError, type Recipe } from '../recipe.js';
import { dirFrom } from './paths.js';

/** The names of the entries Gatehouse owns in `models`: found and updated by name on later runs. */
export const CONTINUE_MODEL_NAMES = { chat: 'Gatehouse', autocomplete: 'Gatehouse autocomplete', embed: 'Gatehouse embeddings' } as const;

export const continueDev: Recipe = {
  id: 'continue',
  title: 'Continue',
  family: 'openai',
  subscription: false,
  sources: ['https://github.com/continuedev/continue/blob/main/docs/reference.mdx', 'https://github.com/continuedev/continue/blob/main/docs/customize/model-providers/top-level/openai.mdx'],
  plan(input, read) {
    const dir = dirFrom(input.env, 'CONTINUE_GLOBAL_DIR', join(input.home, '.continue'));
    const path = join(dir, 'config.yaml');
    const apiBase = `${input.gatewayUrl}/v1`;
    const entry = (name: string, model: string, roles: string[]): Record<string, unknown> => ({ name, provider: 'openai', model, apiBase, apiKey: input.key, roles });
    const models = [
      entry(CONTINUE_MODEL_NAMES.chat, input.model, ['chat', 'edit', 'apply']),
      entry(CONTINUE_MODEL_NAMES.autocomplete, input.smallModel ?? input.model, ['autocomplete']),
      ...(input.embedModel !== undefined ? [entry(CONTINUE_MODEL_NAMES.embed, input.embedModel, ['embed'])] : []),
    ];
    const notes = [
      `Autocomplete calls ${apiBase}/completions, which Gatehouse serves for routes with an OpenAI-format target only.`,
      input.embedModel === undefined
        ? 'No embeddings model was given: Continue keeps its own for the codebase index. Pass --embed-model ROUTE (a route to an OpenAI-format embeddings model) to index through Gatehouse.'
        : `Embeddings go to ${apiBase}/embeddings (OpenAI-format targets only).`,
    ];
    if (read(path) === null && read(join(dir, 'config.json')) !== null) notes.push(`Continue reads config.yaml in place of the deprecated config.json; ${join(dir, 'config.json')} is left as it is.`);
    return {
      files: [
        {
          path,
          secret: true,
          merge(current) {
            const doc = parseYamlMap(current, path);
            const root = doc.contents as YAMLMap;
            let changed = false;
            if (current === null || current.trim() === '') {
              doc.set('name', 'Local Config');
              doc.set('version', '1.0.0');
              doc.set('schema', 'v1');
              changed = true;
            }
            let list = root.get('models', true);
            if (list === undefined || list === null) {
              doc.set('models', doc.createNode([]));
              list = root.get('models', true);
              changed = true;
            }
            if (!isSeq(list)) throw new SetupError('SETUP_UNMERGEABLE', `${path}: "models" is not a list, so Gatehouse's models cannot be added to it: fix it, then run this again`);
            for (const want of models) {
              const item = list.items.find((i) => isMap(i) && i.get('name') === want.name);
              if (!isMap(item)) {
                list.add(doc.createNode(want));
                changed = true;
                continue;
              }
              // The user's other fields on our entries (completion options, capabilities) stay.
              for (const [k, v] of Object.entries(want)) {
                if (sameYaml(item.get(k, true), v)) continue;
                item.set(k, doc.createNode(v));
                changed = true;
              }
            }
            return changed ? renderYaml(doc, current) : (current as string);
          },
        },
      ],
      notes,
    };
  },
};
