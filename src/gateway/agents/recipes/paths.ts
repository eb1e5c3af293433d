// Where agents keep their user-level files: a folder variable the agent itself honours, else a default.

/** The variable's value when set and not empty (agents treat an empty one as unset), else the fallback. */
export function dirFrom(env: Record<string, string | undefined>, name: string, fallback: string): string {
  const v = env[name];
  return v !== undefined && v.trim() !== '' ? v : fallback;
}
