// The explicit recipe registry: one recipe per agent `gatehouse agents setup` knows.
import type { AgentId, Recipe } from '../recipe.js';
import { aider } from './aider.js';
import { claudeCode } from './claude-code.js';
import { codex } from './codex.js';
import { continueDev } from './continue.js';
import { gemini } from './gemini.js';
import { opencode } from './opencode.js';

export const RECIPES = {
  'claude-code': claudeCode,
  codex,
  gemini,
  continue: continueDev,
  opencode,
  aider,
} satisfies Record<AgentId, Recipe>;
