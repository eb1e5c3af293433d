// The layering of STYLE.md is enforced by lint (npm run build runs it); this proves the rules bite.
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: new URL('..', import.meta.url).pathname });

async function violations(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: file });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('layering', () => {
  it('src/gateway never imports electron', async () => {
    expect(await violations('src/gateway/http/x.ts', "import { app } from 'electron';\nexport const a = app;\n")).toEqual([
      expect.stringMatching(/never imports electron/),
    ]);
  });

  it('src/gateway does not reach into the Electron shell or the UI', async () => {
    expect(await violations('src/gateway/x.ts', "import { a } from '../main/index.js';\nexport const b = a;\n")).toHaveLength(1);
    expect(await violations('src/gateway/x.ts', "import { a } from '../renderer/src/client.js';\nexport const b = a;\n")).toHaveLength(1);
  });

  it('store and secrets are leaves', async () => {
    expect(await violations('src/gateway/store/x.ts', "import { a } from '../http/server.js';\nexport const b = a;\n")).toHaveLength(1);
    expect(await violations('src/gateway/secrets/x.ts', "import { a } from '../policy/keys.js';\nexport const b = a;\n")).toHaveLength(1);
    expect(await violations('src/gateway/store/x.ts', "import { a } from './db.js';\nexport const b = a;\n")).toEqual([]);
  });

  it('src/shared has no Node built-ins and no other layer', async () => {
    expect(await violations('src/shared/x.ts', "import { join } from 'node:path';\nexport const j = join;\n")).toHaveLength(1);
    expect(await violations('src/shared/x.ts', "import { a } from '../gateway/index.js';\nexport const b = a;\n")).toHaveLength(1);
  });

  it('the Electron shell uses the gateway through its index only', async () => {
    expect(await violations('src/main/x.ts', "import { createGateway } from '../gateway/index';\nexport const c = createGateway;\n")).toEqual([]);
    expect(await violations('src/main/x.ts', "import { openDatabase } from '../gateway/store/db';\nexport const o = openDatabase;\n")).toHaveLength(1);
  });

  it('mcp, policy and llm do not import http or control', async () => {
    expect(await violations('src/gateway/mcp/x.ts', "import { a } from '../http/io.js';\nexport const b = a;\n")).toHaveLength(1);
    expect(await violations('src/gateway/policy/x.ts', "import { a } from '../control/service.js';\nexport const b = a;\n")).toHaveLength(1);
    expect(await violations('src/gateway/llm/x.ts', "import { a } from '../http/llm.js';\nexport const b = a;\n")).toHaveLength(1);
    expect(await violations('src/gateway/mcp/x.ts', "import { a } from '../policy/keys.js';\nexport const b = a;\n")).toEqual([]);
  });

  it('no provider imports another provider', async () => {
    expect(await violations('src/gateway/llm/providers/anthropic/index.ts', "import { a } from '../openai-compatible/index.js';\nexport const b = a;\n")).toHaveLength(1);
    expect(await violations('src/gateway/llm/providers/anthropic/index.ts', "import type { ProviderRuntime } from '../types.js';\nexport type P = ProviderRuntime;\n")).toEqual([]);
  });

  it('the UI reaches the gateway only through the contract', async () => {
    expect(await violations('src/renderer/src/x.ts', "import { createGateway } from '../../gateway/index';\nexport const c = createGateway;\n")).toHaveLength(1);
  });
});
