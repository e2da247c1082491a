// The virus-scanner port. Promise 4 ("scanned before served") rests on one rule that every
// implementation must keep: only an explicit "clean" answer from the engine for the whole content
// is `clean`. Everything else — engine down, slow, over a limit, or saying something we do not
// understand — is an error verdict, and an error verdict never lets an attachment be served.

export type ScanErrorReason =
  /** The engine could not be reached (refused, reset, closed before answering). Transient. */
  | 'unavailable'
  /** No answer within the deadline. Transient. */
  | 'timeout'
  /**
   * The content is larger than the engine (or the client) will scan, or the engine flagged a
   * limit (`Heuristics.Limits.Exceeded.*`). Deterministic: retrying the same bytes gives the same
   * answer, so callers should mark the attachment unscannable rather than retry it.
   */
  | 'size_limit'
  /** The engine answered with an error or something we could not parse. */
  | 'scanner_error';

export type ScanResult =
  | { verdict: 'clean' }
  /**
   * `signature` is the engine's name for what it found. Names starting with `Heuristics.` (for
   * example `Heuristics.Encrypted.Zip`) mean the engine refused the content rather than matched
   * known malware; they stay `infected` so the bytes are quarantined, never served.
   */
  | { verdict: 'infected'; signature: string }
  | { verdict: 'error'; reason: ScanErrorReason; detail: string };

export interface Scanner {
  /**
   * Scans the whole content. Never rejects: failures come back as `{ verdict: 'error' }`.
   * A stream passed in is consumed; on an error verdict it is destroyed (as `stream.pipeline` does).
   */
  scan(content: Buffer | NodeJS.ReadableStream): Promise<ScanResult>;
  /** True when the engine answers a liveness probe in time. Never rejects. */
  ping(): Promise<boolean>;
}

/** Worth retrying later with the same bytes (engine outage), as opposed to a final verdict. */
export function isTransientScanError(result: ScanResult): boolean {
  return (
    result.verdict === 'error' && (result.reason === 'unavailable' || result.reason === 'timeout')
  );
}

/** Heuristic names for "content could not be fully scanned" (clamd with AlertExceedsMax on). */
export function isLimitSignature(signature: string): boolean {
  return signature.startsWith('Heuristics.Limits.Exceeded');
}
