// The one shape every guardrail detector has: a factory taking its options and returning a step
// that scans text and reports findings (never the matched value, only where it is and how sure).

/** Where in the traffic a text was found. */
export type GuardLocation = 'llm.input' | 'llm.output' | 'tool.arguments' | 'tool.result' | 'tool.description';

export type FindingType = 'secret' | 'pii' | 'injection' | 'custom';

export interface Finding {
  type: FindingType;
  /** A stable rule id, e.g. `aws-access-key-id`, `card-number`, `injection.role-override`. */
  rule: string;
  /** Offsets in UTF-16 code units of the text scanned: text.slice(start, end) is what matched. */
  start: number;
  end: number;
  /** 0..1: how sure the detector is (1 for a checksum-verified or exact-format match). */
  score: number;
  /**
   * True for findings that must only be recorded, never acted on (a generic high-entropy string,
   * which may be a lockfile hash or an id): actions other than `warn` skip them.
   */
  warnOnly?: boolean;
}

/** A detector: pure, synchronous, no I/O; safe to call on every request. */
export interface Detector {
  /** Which family of findings it reports. */
  type: FindingType;
  scan(text: string): Finding[];
}

/** `(options) => Detector`: how every detector is made. */
export type DetectorFactory<Options = Record<string, never>> = (options?: Options) => Detector;
