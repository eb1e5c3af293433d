// Gemini CLI: ~/.gemini/.env for the endpoint, key and model, ~/.gemini/settings.json for the auth type.
//
// Sources (checked 2026-11):
// - google-gemini/gemini-cli docs/get-started/authentication.md ("Persisting environment
//   variables"): variables load from the first `.env` found searching up from the current folder,
//   then ~/.gemini/.env; "loaded from the first file found, not merged". GEMINI_API_KEY is the
//   Gemini API key.
// - docs/reference/configuration.md: GEMINI_MODEL (the default model), GEMINI_CLI_HOME (the folder
//   that holds .gemini instead of the home directory), settings in ~/.gemini/settings.json.
// - packages/core/src/core/contentGenerator.ts: GOOGLE_GEMINI_BASE_URL is the Gemini API base URL
//   (the SDK appends /v1beta/models/...); auth type "gemini-api-key" (security.auth.selectedType
//   in settings.json, packages/cli/src/config/settingsSchema.ts) uses GEMINI_API_KEY.
// - Gemini CLI 0.61.0's bundle (test/agents): findEnvFile reads .gemini/.env files only in trusted
//   folders. test/e2e/agents.test.ts runs that version with these variables and selectedType.
import { join } from 'node:path';
import { editDotenv } from '../formats/dotenv.js';
import { editJson } from '../formats/json.js';
import type { Recipe } from '../recipe.js';
import { dirFrom } from './paths.js';

export const gemini: Recipe = {
  id: 'gemini',
  title: 'Gemini CLI',
  family: 'gemini',
  subscription: false,
  sources: [
    'https://github.com/google-gemini/gemini-cli/blob/main/docs/get-started/authentication.md',
    'https://github.com/google-gemini/gemini-cli/blob/main/docs/reference/configuration.md',
  ],
  plan(input) {
    const dir = join(dirFrom(input.env, 'GEMINI_CLI_HOME', input.home), '.gemini');
    const envPath = join(dir, '.env');
    const settingsPath = join(dir, 'settings.json');
    const vars: [string, string][] = [
      ['GOOGLE_GEMINI_BASE_URL', input.gatewayUrl],
      ['GEMINI_API_KEY', input.key],
      ['GEMINI_MODEL', input.model],
    ];
    const notes = [
      `Gemini CLI reads ${envPath} only in folders you trust, and only when no .env file is found between the current folder and your home (the first one found wins). Where that gets in the way, put the exports below in your shell profile instead.`,
    ];
    if (input.smallModel !== undefined) notes.push('Gemini CLI has no setting for a separate small model: --small-model is not used.');
    return {
      files: [
        { path: envPath, secret: true, merge: (current) => editDotenv(current, vars) },
        {
          path: settingsPath,
          secret: false,
          // Sign in with the API key from the environment (not with Google) without asking.
          merge: (current) => editJson(current, [{ path: ['security', 'auth', 'selectedType'], value: 'gemini-api-key' }], settingsPath),
        },
      ],
      exports: vars,
      notes,
    };
  },
};
