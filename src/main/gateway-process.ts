// The gateway's utilityProcess: the headless core, served to the main process over `process.parentPort`.
import { createGateway } from '../gateway/index';
import { serveGateway } from './gateway-protocol';

/** Runs in the utility process only: synchronous SQLite and many streams never block the window. */
export function runGatewayProcess(): void {
  serveGateway(process.parentPort, (options) => createGateway(options));
}
