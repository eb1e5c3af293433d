// Preloaded into Portkey's gateway (`--import`): its start-server listens on every interface at a
// fixed port; this makes its one server listen on 127.0.0.1 at a free port and print where.
import { Server } from 'node:net';

const listen = Server.prototype.listen;
let patched = false;

// Only the first listen() is redirected: that is start-server's HTTP server; anything else is left alone.
Server.prototype.listen = function loopbackListen(this: Server, ...args: unknown[]): Server {
  if (patched) return listen.apply(this, args as Parameters<Server['listen']>);
  patched = true;
  const callback = args.find((a): a is () => void => typeof a === 'function');
  this.once('listening', () => {
    const address = this.address();
    if (address && typeof address === 'object') process.stdout.write(`portkey listening on http://127.0.0.1:${address.port}\n`);
  });
  return listen.call(this, { port: 0, host: '127.0.0.1' }, callback);
};
