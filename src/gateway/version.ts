// The gateway's version, in a module of its own: the CLI prints it without loading the gateway.
export const VERSION = '0.1.0';
