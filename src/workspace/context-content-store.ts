/**
 * The part of the store port that keeps build-context files as content: bytes addressed by their
 * `sha256:<hex>`, written at registration in the version's transaction and read by whichever
 * worker builds it. Rows are never changed: the first writer of a hash wins, later ones add
 * nothing.
 */
export interface ContextContentStoreTx {
  /** Stores the bytes under `sha256` unless that hash is stored already (then nothing changes). */
  putContextContent(record: {
    readonly sha256: string;
    readonly content: Uint8Array;
    readonly now: string;
  }): Promise<void>;
  /** The stored bytes, as stored: the reader verifies them against the hash it expects. */
  getContextContent(sha256: string): Promise<Uint8Array | undefined>;
  /** Which of these hashes have content stored. */
  storedContextContent(sha256s: readonly string[]): Promise<ReadonlySet<string>>;
}
