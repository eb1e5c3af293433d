// Lint rules, including the layering of STYLE.md: a forbidden import fails `npm run build`.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const NODE_BUILTINS = { group: ['node:*'], message: 'src/shared crosses process boundaries: no Node built-ins here.' };
const ELECTRON = { group: ['electron', 'electron/*'], message: 'src/gateway runs under plain Node and never imports electron.' };
const upper = (dirs, why) => ({ group: dirs.flatMap((d) => [`**/${d}`, `**/${d}/**`]), message: why });

export default tseslint.config(
  // Fixtures of third-party shapes (minified code, lockfiles) are data, not our code.
  { ignores: ['out/**', 'node_modules/**', 'bench/results/**', 'test/agents/node_modules/**', 'test/fixtures/guardrails/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { files: ['bin/**', '*.js'], languageOptions: { globals: globals.node } },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      'no-empty': ['error', { allowEmptyCatch: false }],
    },
  },
  {
    files: ['src/shared/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [NODE_BUILTINS, ELECTRON, upper(['gateway', 'main', 'preload', 'renderer'], 'src/shared depends on nothing else in src.')] }],
    },
  },
  {
    files: ['src/gateway/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [ELECTRON, upper(['main', 'preload', 'renderer'], 'the gateway knows nothing of its host or the UI.')] }],
    },
  },
  {
    files: ['src/gateway/store/**', 'src/gateway/secrets/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [ELECTRON, upper(['http', 'control', 'policy', 'llm', 'mcp', 'config', 'main', 'preload', 'renderer'], 'store and secrets are leaves: they import no other gateway layer.')] },
      ],
    },
  },
  {
    files: ['src/gateway/mcp/**', 'src/gateway/policy/**', 'src/gateway/llm/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [ELECTRON, upper(['http', 'control', 'main', 'preload', 'renderer'], 'mcp, policy and llm sit below http and control: they do not import them.')] }],
    },
  },
  {
    files: ['src/gateway/llm/providers/*/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [ELECTRON, upper(['http', 'control'], 'providers do not reach up into http or control.'), { regex: '^\\.\\./(?!types|transport|\\.\\.)', message: 'no provider imports another provider.' }] }],
    },
  },
  {
    files: ['src/main/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: 'gateway/(?!index(\\.js)?$)', message: 'the Electron shell uses the gateway through src/gateway/index.ts only.' }, upper(['renderer'], 'main does not import the UI.')] }],
    },
  },
  {
    files: ['src/preload/**', 'src/renderer/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [NODE_BUILTINS, upper(['gateway', 'main'], 'the UI reaches the gateway only through the control-plane contract.')] }],
    },
  },
);
