// The mock upstream's streaming shape, shared by the mock (which paces to it) and the clients (which measure against it).
export const STREAM_CHUNKS = 64;
export const STREAM_PACING_MS = 20;
/** A gap between two chunks longer than the pacing plus this is a stall. */
export const STALL_SLACK_MS = 50;
