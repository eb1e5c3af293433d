// What an agent recipe is: where a coding agent keeps its settings and how Gatehouse's go into them.
import type { Family } from '../llm/canonical.js';

export const AGENT_IDS = ['claude-code', 'codex', 'gemini', 'continue', 'opencode', 'aider'] as const;
export type AgentId = (typeof AGENT_IDS)[number];

/** Shown in snippets when no key was given; `--write` refuses to run without a real one. */
export const KEY_PLACEHOLDER = 'gh_YOUR_KEY';

export interface SetupInput {
  agent: AgentId;
  /** The gateway's base URL, e.g. `http://127.0.0.1:4141`: no trailing slash, no `/v1`. */
  gatewayUrl: string;
  /** A virtual key (`gh_...`); null puts KEY_PLACEHOLDER in the snippets. */
  key: string | null;
  /** The route (or `provider/model`) the agent asks for. */
  model: string;
  /** A cheaper route for the agent's side tasks (titles, summaries, autocomplete). */
  smallModel?: string;
  /** A route to an OpenAI-format embeddings model (Continue's codebase index). */
  embedModel?: string;
  /** Keep the agent's own sign-in and send the key in `x-gatehouse-key` (Claude Code, Codex). */
  subscription?: boolean;
  /** The home directory the agents' user-level files live under. */
  home: string;
  /** The variables agents read to move their own folders (CODEX_HOME, GEMINI_CLI_HOME, ...). */
  env: Record<string, string | undefined>;
}

/** The input a recipe sees: the key is always a string (the placeholder when none was given). */
export type RecipeInput = Omit<SetupInput, 'key'> & { key: string };

/** Reads a file: its text, or null when it does not exist. */
export type ReadFile = (path: string) => string | null;

/** One file a recipe writes. */
export interface FileRecipe {
  path: string;
  /** The file ends up holding the key: it is written mode 0600. */
  secret: boolean;
  /**
   * The file's text with Gatehouse's settings merged in, everything else kept. `current` is null
   * when the file does not exist. Returns `current` itself when the settings are already there,
   * so a second run changes nothing.
   */
  merge(current: string | null): string;
}

export interface RecipePlan {
  files: FileRecipe[];
  /** The same settings as environment variables, for agents that read them (ordered). */
  exports?: [name: string, value: string][];
  /** Things the user should know: precedence traps, what to restart. */
  notes: string[];
}

export interface Recipe {
  id: AgentId;
  title: string;
  /** The API family the agent speaks: a route to a provider of this family is passed through, not translated. */
  family: Family;
  /** Whether `--subscription` (the agent's own sign-in, the key in `x-gatehouse-key`) is possible. */
  subscription: boolean;
  /** Where the facts of the recipe come from: the agent's own documentation or source. */
  sources: string[];
  plan(input: RecipeInput, read: ReadFile): RecipePlan;
}

export type SetupErrorCode =
  /** An existing file could not be read. */
  | 'SETUP_UNREADABLE'
  /** An existing file is not valid in its format. */
  | 'SETUP_UNPARSABLE'
  /** The settings cannot be merged without rewriting what the user wrote. */
  | 'SETUP_UNMERGEABLE'
  /** A file (or its backup) could not be written. */
  | 'SETUP_WRITE'
  /** A file changed between reading and writing it. */
  | 'SETUP_CHANGED';

export class SetupError extends Error {
  override readonly name = 'SetupError';
  constructor(
    readonly code: SetupErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
