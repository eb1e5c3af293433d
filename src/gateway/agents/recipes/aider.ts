// Aider: the OpenAI-compatible endpoint, key and model in ~/.aider.conf.yml.
//
// Sources (checked 2026-11):
// - Aider-AI/aider aider/website/docs/config/aider_conf.md: .aider.conf.yml is looked for in the
//   current directory, the git repo's root and the home directory; `openai-api-key`,
//   `openai-api-base`, `model`, `weak-model` (commit messages and chat summaries) are valid keys,
//   and OpenAI keys may be stored in it.
// - aider/website/docs/llms/openai-compat.md: an OpenAI-compatible endpoint takes OPENAI_API_BASE,
//   OPENAI_API_KEY and the model name prefixed with `openai/`.
import { join } from 'node:path';
import { parseYamlMap, renderYaml, sameYaml } from '../formats/yaml.js';
import type { Recipe } from '../recipe.js';

export const aider: Recipe = {
  id: 'aider',
  title: 'Aider',
  family: 'openai',
  subscription: false,
  sources: ['https://github.com/Aider-AI/aider/blob/main/aider/website/docs/config/aider_conf.md', 'https://github.com/Aider-AI/aider/blob/main/aider/website/docs/llms/openai-compat.md'],
  plan(input) {
    const path = join(input.home, '.aider.conf.yml');
    const values: [string, string][] = [
      ['openai-api-base', `${input.gatewayUrl}/v1`],
      ['openai-api-key', input.key],
      ['model', `openai/${input.model}`],
      ...(input.smallModel !== undefined ? [['weak-model', `openai/${input.smallModel}`] as [string, string]] : []),
    ];
    return {
      files: [
        {
          path,
          secret: true,
          merge(current) {
            const doc = parseYamlMap(current, path);
            const pending = values.filter(([k, v]) => !sameYaml(doc.get(k, true), v));
            if (pending.length === 0 && current !== null) return current;
            for (const [k, v] of pending) doc.set(k, v);
            return renderYaml(doc, current);
          },
        },
      ],
      notes: [
        `A .aider.conf.yml in the current folder or the repository's root takes precedence over ${path}.`,
        `Aider has no context-window data for openai/${input.model} and says so once at start; that warning is harmless.`,
      ],
    };
  },
};
