// The Electron entry. In the main process it runs the shell; forked as a utilityProcess (which has
// `process.parentPort`) it runs the gateway. One entry keeps the build to one main bundle.
import { fileURLToPath } from 'node:url';

const entry = fileURLToPath(import.meta.url);

// Dynamic imports: the utility process must not load the main process's Electron modules, nor the reverse.
if (process.parentPort) void import('./gateway-process').then((m) => m.runGatewayProcess());
else void import('./app').then((m) => m.startApp(entry));
