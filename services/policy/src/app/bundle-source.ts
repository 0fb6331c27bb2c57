/** Where a bundle's files come from (a directory, a git checkout, a KV bucket …). */
export interface BundleSource {
  /** Human-readable origin, e.g. the directory path. */
  readonly origin: string;
  read(): Promise<BundleSnapshot>;
}

export interface BundleSnapshot {
  /** Top-level policy files (`bundle.yaml`, `rules.yaml`, …): name → text. */
  readonly policyFiles: ReadonlyMap<string, string>;
  /** Policy test files (`tests/<name>.yaml`): name → text. */
  readonly testFiles: ReadonlyMap<string, string>;
}
