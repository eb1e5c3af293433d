// Claude Code: the `env` block of its user settings file, ~/.claude/settings.json.
//
// Sources (checked 2026-11):
// - https://code.claude.com/docs/en/llm-gateway-connect: ANTHROPIC_BASE_URL (the gateway root, Claude
//   Code appends /v1/messages) and ANTHROPIC_AUTH_TOKEN in the `env` block of ~/.claude/settings.json.
// - https://code.claude.com/docs/en/env-vars: ANTHROPIC_AUTH_TOKEN is sent as `Authorization: Bearer`;
//   ANTHROPIC_CUSTOM_HEADERS is `Name: Value`, one header per line; ANTHROPIC_API_KEY, when set,
//   is used instead of a Claude subscription sign-in; settings-file `env` values apply to every session.
// - https://code.claude.com/docs/en/model-config: ANTHROPIC_MODEL; ANTHROPIC_DEFAULT_HAIKU_MODEL is
//   "the model to use for haiku, or background functionality" (ANTHROPIC_SMALL_FAST_MODEL is
//   deprecated in its favour).
// - CLAUDE_CONFIG_DIR moves ~/.claude: read in the Claude Code 2.1.197 binary (test/agents), not
//   found on the documentation pages above.
import { join } from 'node:path';
import { editJson, jsonGet, parseJsonObject, type JsonChange } from '../formats/json.js';
import type { Recipe } from '../recipe.js';
import { dirFrom } from './paths.js';

const GATEHOUSE_HEADER = /^\s*x-gatehouse-key\s*:/i;

/** Other headers the user sends, one per line, without ours. */
function otherHeaderLines(value: unknown): string[] {
  return typeof value === 'string' ? value.split(/\r?\n/).filter((l) => l.trim() !== '' && !GATEHOUSE_HEADER.test(l)) : [];
}

const hasGatehouseHeader = (value: unknown): boolean => typeof value === 'string' && value.split(/\r?\n/).some((l) => GATEHOUSE_HEADER.test(l));

const isGatehouseKey = (v: unknown): boolean => typeof v === 'string' && v.startsWith('gh_');

export const claudeCode: Recipe = {
  id: 'claude-code',
  title: 'Claude Code',
  family: 'anthropic',
  subscription: true,
  sources: ['https://code.claude.com/docs/en/llm-gateway-connect', 'https://code.claude.com/docs/en/env-vars', 'https://code.claude.com/docs/en/model-config'],
  plan(input) {
    const path = join(dirFrom(input.env, 'CLAUDE_CONFIG_DIR', join(input.home, '.claude')), 'settings.json');
    const small = input.smallModel ?? input.model;
    const ours: [string, string][] = [
      ['ANTHROPIC_BASE_URL', input.gatewayUrl],
      input.subscription ? ['ANTHROPIC_CUSTOM_HEADERS', `x-gatehouse-key: ${input.key}`] : ['ANTHROPIC_AUTH_TOKEN', input.key],
      ['ANTHROPIC_MODEL', input.model],
      ['ANTHROPIC_DEFAULT_HAIKU_MODEL', small],
    ];
    const notes = [
      `Claude Code reads ${path} when a session starts: restart running sessions. A project's .claude/settings.json and managed settings override it.`,
    ];
    if (input.smallModel === undefined) {
      notes.push(`Side tasks (titles, summaries) go to ${input.model} too (ANTHROPIC_DEFAULT_HAIKU_MODEL); pass --small-model ROUTE to send them to a cheaper route.`);
    }
    if (input.subscription) {
      notes.push(
        'Keep signing in with your Claude subscription (/login): the sign-in goes through Gatehouse to the route\'s Anthropic provider unchanged, and the key travels in x-gatehouse-key. No ANTHROPIC_AUTH_TOKEN or ANTHROPIC_API_KEY is set (either would replace the sign-in).',
      );
    }
    return {
      files: [
        {
          path,
          secret: true,
          merge(current) {
            const env = jsonGet(parseJsonObject(current ?? '', path), ['env']);
            const get = (name: string): unknown => jsonGet(env, [name]);
            const changes: JsonChange[] = [];
            for (const [name, value] of ours) {
              // The user's other custom headers stay; ours replaces any earlier x-gatehouse-key line.
              const v = name === 'ANTHROPIC_CUSTOM_HEADERS' ? [...otherHeaderLines(get(name)), value].join('\n') : value;
              changes.push({ path: ['env', name], value: v });
            }
            if (input.subscription) {
              // A Gatehouse key left from a setup without --subscription would replace the sign-in.
              for (const name of ['ANTHROPIC_AUTH_TOKEN', 'ANTHROPIC_API_KEY']) if (isGatehouseKey(get(name))) changes.push({ path: ['env', name], remove: true });
            } else if (hasGatehouseHeader(get('ANTHROPIC_CUSTOM_HEADERS'))) {
              // Left from a --subscription setup: the key now travels as the bearer token.
              const rest = otherHeaderLines(get('ANTHROPIC_CUSTOM_HEADERS'));
              changes.push(rest.length > 0 ? { path: ['env', 'ANTHROPIC_CUSTOM_HEADERS'], value: rest.join('\n') } : { path: ['env', 'ANTHROPIC_CUSTOM_HEADERS'], remove: true });
            }
            return editJson(current, changes, path);
          },
        },
      ],
      exports: ours,
      notes,
    };
  },
};
