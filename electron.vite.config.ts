// Builds the desktop app: the Electron main process, the sandboxed preload and the React renderer.
import { defineConfig } from 'electron-vite';
import { cpSync } from 'node:fs';
import { resolve } from 'node:path';
import renderer from './renderer.vite.config';

/** The store's numbered .sql migrations travel beside the bundled main process. */
const copyMigrations = {
  name: 'gatehouse-copy-migrations',
  closeBundle() {
    cpSync(resolve(__dirname, 'src/gateway/store/migrations'), resolve(__dirname, 'out/main/migrations'), { recursive: true });
  },
};

export default defineConfig({
  main: {
    plugins: [copyMigrations],
    build: {
      outDir: 'out/main',
      rollupOptions: {
        input: resolve(__dirname, 'src/main/index.ts'),
        // Native modules load at run time from node_modules, built for Electron's ABI.
        external: ['better-sqlite3', 'keytar', 'electron'],
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      // A sandboxed preload must be CommonJS.
      rollupOptions: { input: resolve(__dirname, 'src/preload/index.ts'), output: { format: 'cjs', entryFileNames: '[name].cjs' } },
    },
  },
  renderer,
});
