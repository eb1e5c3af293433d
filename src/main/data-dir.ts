// The desktop app uses the same data directory as the CLI: GATEHOUSE_DATA_DIR, else Electron's userData.
export function resolveDataDir(userData: string, env: Record<string, string | undefined>): string {
  return env.GATEHOUSE_DATA_DIR || userData;
}
