// gRPC server TLS from PEM files (ADR 0019): TLS, or mutual TLS with a client CA, reloaded from
// disk on an interval; plaintext only when asked for explicitly. grpc-js serves a changed
// certificate to new connections through its certificate-provider credentials
// (`experimental.createCertificateProviderServerCredentials`), which re-set the listening server's
// secure context; the provider here validates every change first, so a half-written secret never
// replaces a working certificate.
import { createPrivateKey, X509Certificate } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createSecureContext } from "node:tls";
import { experimental, ServerCredentials } from "@grpc/grpc-js";
import { ConfigError } from "@warden/config";
import type { ConfigIssue, GrpcConfig } from "@warden/config";
import type { Logger } from "@warden/telemetry";
import type { ClientTls } from "./create-grpc-client.ts";

export type GrpcTlsMode = "insecure" | "tls" | "mutual-tls";

/** The server side of gRPC transport security, for `createGrpcServer({ tls })`. */
export type ServerTls = {
  mode: GrpcTlsMode;
  credentials: ServerCredentials;
  /** Stops the reload timer (the server also stops it when it closes). Idempotent. */
  close(): void;
};

/** The TLS keys of `grpcKeys` (@warden/config). */
export type ServerTlsConfig = Pick<
  GrpcConfig,
  | "GRPC_TLS_CERT_FILE"
  | "GRPC_TLS_KEY_FILE"
  | "GRPC_TLS_CLIENT_CA_FILE"
  | "GRPC_TLS_RELOAD_INTERVAL"
  | "GRPC_INSECURE"
>;

/** Plaintext gRPC (tests of the scaffold itself; services go through `serverTlsFromConfig`). */
export function insecureServerTls(): ServerTls {
  return { mode: "insecure", credentials: ServerCredentials.createInsecure(), close: () => undefined };
}

type Files = { cert: string; key: string; clientCa?: string | undefined };
type Contents = { cert: Buffer; key: Buffer; clientCa?: Buffer | undefined };
type Checked = { contents: Contents; leaf: X509Certificate };

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const PEM_PRIVATE_KEY = /-----BEGIN (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----/;

const EXPECTED = {
  GRPC_TLS_CERT_FILE: "a PEM certificate file (or GRPC_INSECURE=true for plaintext, development only)",
  GRPC_TLS_KEY_FILE: "the PEM private key file of GRPC_TLS_CERT_FILE",
  GRPC_TLS_CLIENT_CA_FILE: "a file of PEM CA certificates",
} as const;
type FileKey = keyof typeof EXPECTED;

function invalid(key: FileKey | "GRPC_INSECURE", detail: string, expected?: string): ConfigIssue {
  return {
    key,
    problem: "invalid",
    detail,
    expected: expected ?? (key === "GRPC_INSECURE" ? "true or false" : EXPECTED[key]),
  };
}

function readError(path: string, err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return `file ${path} not found`;
  if (code === "EACCES" || code === "EPERM") return `file ${path} cannot be read (permission denied)`;
  if (code === "EISDIR") return `${path} is a directory, not a file`;
  return `file ${path} cannot be read (${code ?? (err instanceof Error ? err.message : String(err))})`;
}

function certificates(pem: string): X509Certificate[] | string {
  const blocks = pem.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) return "not a PEM certificate (no BEGIN CERTIFICATE block)";
  const parsed: X509Certificate[] = [];
  for (const block of blocks) {
    try {
      parsed.push(new X509Certificate(block));
    } catch (err) {
      return `not a PEM certificate (${err instanceof Error ? err.message : String(err)})`;
    }
  }
  return parsed;
}

function privateKey(pem: string): KeyObject | string {
  if (!PEM_PRIVATE_KEY.test(pem)) return "not a PEM private key (no BEGIN PRIVATE KEY block)";
  if (pem.includes("ENCRYPTED")) return "an encrypted private key (give the key unencrypted, as a secret)";
  try {
    return createPrivateKey(pem);
  } catch (err) {
    return `not a PEM private key (${err instanceof Error ? err.message : String(err)})`;
  }
}

/** Validates file contents; `paths` are only for the messages. Returns the issues, or the result. */
function check(contents: Contents, paths: Files, now: Date): Checked | ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const chain = certificates(contents.cert.toString("utf8"));
  const key = privateKey(contents.key.toString("utf8"));
  let leaf: X509Certificate | undefined;
  if (typeof chain === "string") {
    issues.push(invalid("GRPC_TLS_CERT_FILE", `${paths.cert}: ${chain}`));
  } else {
    leaf = chain[0];
    if (leaf !== undefined && new Date(leaf.validTo) < now) {
      issues.push(invalid("GRPC_TLS_CERT_FILE", `${paths.cert}: the certificate expired at ${leaf.validTo}`));
    }
  }
  if (typeof key === "string") {
    issues.push(invalid("GRPC_TLS_KEY_FILE", `${paths.key}: ${key}`));
  } else if (leaf !== undefined && !leaf.checkPrivateKey(key)) {
    issues.push(
      invalid(
        "GRPC_TLS_KEY_FILE",
        `${paths.key}: the key does not match the certificate in GRPC_TLS_CERT_FILE`,
      ),
    );
  }
  if (contents.clientCa !== undefined && paths.clientCa !== undefined) {
    const cas = certificates(contents.clientCa.toString("utf8"));
    if (typeof cas === "string") issues.push(invalid("GRPC_TLS_CLIENT_CA_FILE", `${paths.clientCa}: ${cas}`));
  }
  if (issues.length > 0 || leaf === undefined) return issues;
  try {
    createSecureContext({ cert: contents.cert, key: contents.key, ca: contents.clientCa });
  } catch (err) {
    return [
      invalid(
        "GRPC_TLS_CERT_FILE",
        `${paths.cert}: rejected by TLS (${err instanceof Error ? err.message : String(err)})`,
      ),
    ];
  }
  return { contents, leaf };
}

function readAllSync(files: Files): Contents | ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const read = (key: FileKey, path: string): Buffer | undefined => {
    try {
      return readFileSync(path);
    } catch (err) {
      issues.push(invalid(key, readError(path, err)));
      return undefined;
    }
  };
  const cert = read("GRPC_TLS_CERT_FILE", files.cert);
  const key = read("GRPC_TLS_KEY_FILE", files.key);
  const clientCa = files.clientCa === undefined ? undefined : read("GRPC_TLS_CLIENT_CA_FILE", files.clientCa);
  if (issues.length > 0 || cert === undefined || key === undefined) return issues;
  return { cert, key, clientCa };
}

function sameContents(a: Contents, b: Contents): boolean {
  return (
    a.cert.equals(b.cert) &&
    a.key.equals(b.key) &&
    (a.clientCa === undefined) === (b.clientCa === undefined) &&
    (a.clientCa === undefined || b.clientCa === undefined || a.clientCa.equals(b.clientCa))
  );
}

function describeLeaf(leaf: X509Certificate): Record<string, string> {
  return { subject: leaf.subject, validTo: leaf.validTo, fingerprint256: leaf.fingerprint256 };
}

/**
 * A grpc-js certificate provider over the three files: starts from contents checked at start-up,
 * re-reads them every `intervalMs` while a server listens, and passes on a change only once it
 * validates (else it logs a warning, once per distinct content, and keeps serving the last good one).
 */
class ReloadingFileCertificateProvider implements experimental.CertificateProvider {
  private current: Checked;
  private lastRejected: Contents | undefined;
  private lastReadError: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private reading = false;
  private closed = false;
  private readonly caListeners = new Set<experimental.CaCertificateUpdateListener>();
  private readonly identityListeners = new Set<experimental.IdentityCertificateUpdateListener>();

  private readonly files: Files;
  private readonly intervalMs: number;
  private readonly logger: Logger;

  constructor(initial: Checked, files: Files, intervalMs: number, logger: Logger) {
    this.current = initial;
    this.files = files;
    this.intervalMs = intervalMs;
    this.logger = logger;
  }

  addCaCertificateListener(listener: experimental.CaCertificateUpdateListener): void {
    this.caListeners.add(listener);
    const ca = this.current.contents.clientCa;
    // Asynchronously, as grpc-js's own provider does: the server adds its watcher right after.
    if (ca !== undefined) process.nextTick(listener, { caCertificate: ca });
    this.startTimer();
  }

  removeCaCertificateListener(listener: experimental.CaCertificateUpdateListener): void {
    this.caListeners.delete(listener);
    this.maybeStopTimer();
  }

  addIdentityCertificateListener(listener: experimental.IdentityCertificateUpdateListener): void {
    this.identityListeners.add(listener);
    const { cert, key } = this.current.contents;
    process.nextTick(listener, { certificate: cert, privateKey: key });
    this.startTimer();
  }

  removeIdentityCertificateListener(listener: experimental.IdentityCertificateUpdateListener): void {
    this.identityListeners.delete(listener);
    this.maybeStopTimer();
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private startTimer(): void {
    if (this.timer !== undefined || this.closed) return;
    this.timer = setInterval(() => void this.reload(), this.intervalMs);
    this.timer.unref();
  }

  private maybeStopTimer(): void {
    if (this.caListeners.size > 0 || this.identityListeners.size > 0) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async reload(): Promise<void> {
    if (this.reading) return;
    this.reading = true;
    try {
      const contents = await this.readAll();
      if (contents === undefined || this.closed || sameContents(contents, this.current.contents)) return;
      if (this.lastRejected !== undefined && sameContents(contents, this.lastRejected)) return;
      const checked = check(contents, this.files, new Date());
      if (Array.isArray(checked)) {
        this.lastRejected = contents;
        this.logger.warn(
          {
            issues: checked.map((i) => `${i.key}: ${i.detail ?? ""}`),
            serving: describeLeaf(this.current.leaf),
          },
          "grpc tls files changed but are not valid; still serving the previous certificate",
        );
        return;
      }
      const previous = this.current.leaf;
      this.current = checked;
      this.lastRejected = undefined;
      const { cert, key, clientCa } = checked.contents;
      for (const listener of this.identityListeners) listener({ certificate: cert, privateKey: key });
      if (clientCa !== undefined)
        for (const listener of this.caListeners) listener({ caCertificate: clientCa });
      this.logger.info(
        { previous: describeLeaf(previous), current: describeLeaf(checked.leaf) },
        "grpc tls certificate reloaded",
      );
    } finally {
      this.reading = false;
    }
  }

  private async readAll(): Promise<Contents | undefined> {
    try {
      const [cert, key, clientCa] = await Promise.all([
        readFile(this.files.cert),
        readFile(this.files.key),
        this.files.clientCa === undefined ? undefined : readFile(this.files.clientCa),
      ]);
      this.lastReadError = undefined;
      return { cert, key, clientCa };
    } catch (err) {
      // Mid-rotation a file can be missing for a moment: keep serving, try again next interval.
      // Logged once per distinct error, not every interval.
      const code = (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));
      if (code !== this.lastReadError) {
        this.lastReadError = code;
        this.logger.warn({ err }, "grpc tls files cannot be read; still serving the previous certificate");
      }
      return undefined;
    }
  }
}

/**
 * The gRPC server's transport security from the `grpcKeys` config, checked now: TLS with
 * GRPC_TLS_CERT_FILE + GRPC_TLS_KEY_FILE, mutual TLS (client certificates required and verified)
 * with GRPC_TLS_CLIENT_CA_FILE as well, plaintext only with GRPC_INSECURE=true (logged as a warning).
 * Throws ConfigError naming each bad key and why: not set, missing file, unreadable, not PEM,
 * expired, key does not match the certificate, or TLS files given together with GRPC_INSECURE.
 */
export function serverTlsFromConfig(config: ServerTlsConfig, logger: Logger): ServerTls {
  const { GRPC_TLS_CERT_FILE: cert, GRPC_TLS_KEY_FILE: key, GRPC_TLS_CLIENT_CA_FILE: clientCa } = config;
  const anyFile = cert !== undefined || key !== undefined || clientCa !== undefined;
  if (config.GRPC_INSECURE) {
    if (anyFile) {
      throw new ConfigError([
        invalid(
          "GRPC_INSECURE",
          "true while GRPC_TLS_* files are set: choose TLS (unset GRPC_INSECURE) or plaintext (unset the GRPC_TLS_* keys)",
        ),
      ]);
    }
    logger.warn(
      { grpcTls: "insecure" },
      "gRPC serves PLAINTEXT because GRPC_INSECURE=true: tokens and data cross the network unencrypted (development and tests only)",
    );
    return insecureServerTls();
  }
  const missing: ConfigIssue[] = [];
  if (cert === undefined)
    missing.push({ key: "GRPC_TLS_CERT_FILE", problem: "missing", expected: EXPECTED.GRPC_TLS_CERT_FILE });
  if (key === undefined)
    missing.push({ key: "GRPC_TLS_KEY_FILE", problem: "missing", expected: EXPECTED.GRPC_TLS_KEY_FILE });
  if (cert === undefined || key === undefined) throw new ConfigError(missing);

  const files: Files = { cert, key, clientCa };
  const contents = readAllSync(files);
  if (Array.isArray(contents)) throw new ConfigError(contents);
  const checked = check(contents, files, new Date());
  if (Array.isArray(checked)) throw new ConfigError(checked);

  const provider = new ReloadingFileCertificateProvider(
    checked,
    files,
    config.GRPC_TLS_RELOAD_INTERVAL,
    logger,
  );
  const mutual = clientCa !== undefined;
  // grpc-js names these parameters (caCertificateProvider, identityCertificateProvider) but passes
  // them on as (identity, ca): the first is the server's own certificate.
  const credentials = experimental.createCertificateProviderServerCredentials(
    provider,
    mutual ? provider : null,
    mutual,
  );
  const mode: GrpcTlsMode = mutual ? "mutual-tls" : "tls";
  logger.info(
    {
      grpcTls: mode,
      certificate: describeLeaf(checked.leaf),
      reloadIntervalMs: config.GRPC_TLS_RELOAD_INTERVAL,
    },
    "gRPC TLS loaded",
  );
  return { mode, credentials, close: () => provider.close() };
}

/** Files for a client's TLS, each with the name of the flag or config key that gave it. */
export type ClientTlsFiles = {
  ca?: { path: string; name: string } | undefined;
  cert?: { path: string; name: string } | undefined;
  key?: { path: string; name: string } | undefined;
  serverName?: string | undefined;
};

/**
 * Reads and checks a client's TLS files (a CA to trust; a certificate and key for mutual TLS).
 * Throws ConfigError naming the flag or key of each bad file: not found, unreadable, not PEM, key
 * without certificate, or a key that does not match the certificate.
 */
export function clientTlsFromFiles(files: ClientTlsFiles): ClientTls {
  const issues: ConfigIssue[] = [];
  const bad = (name: string, detail: string, expected: string): void => {
    issues.push({ key: name, problem: "invalid", detail, expected });
  };
  const read = (file: { path: string; name: string } | undefined, expected: string): Buffer | undefined => {
    if (file === undefined) return undefined;
    try {
      return readFileSync(file.path);
    } catch (err) {
      bad(file.name, readError(file.path, err), expected);
      return undefined;
    }
  };
  const ca = read(files.ca, "a file of PEM CA certificates");
  const cert = read(files.cert, "a PEM client certificate file");
  const key = read(files.key, "the PEM private key file of the client certificate");
  if (files.cert !== undefined && files.key === undefined) {
    issues.push({
      key: `${files.cert.name} without a key`,
      problem: "missing",
      expected: "a client key file too",
    });
  }
  if (files.key !== undefined && files.cert === undefined) {
    issues.push({
      key: `${files.key.name} without a certificate`,
      problem: "missing",
      expected: "a client certificate file too",
    });
  }
  if (ca !== undefined && files.ca !== undefined) {
    const parsed = certificates(ca.toString("utf8"));
    if (typeof parsed === "string")
      bad(files.ca.name, `${files.ca.path}: ${parsed}`, "a file of PEM CA certificates");
  }
  let leaf: X509Certificate | undefined;
  if (cert !== undefined && files.cert !== undefined) {
    const parsed = certificates(cert.toString("utf8"));
    if (typeof parsed === "string")
      bad(files.cert.name, `${files.cert.path}: ${parsed}`, "a PEM client certificate file");
    else leaf = parsed[0];
  }
  if (key !== undefined && files.key !== undefined) {
    const parsed = privateKey(key.toString("utf8"));
    if (typeof parsed === "string") {
      bad(
        files.key.name,
        `${files.key.path}: ${parsed}`,
        "the PEM private key file of the client certificate",
      );
    } else if (leaf !== undefined && !leaf.checkPrivateKey(parsed)) {
      bad(
        files.key.name,
        `${files.key.path}: the key does not match the client certificate`,
        "the PEM private key file of the client certificate",
      );
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return { ca, cert, key, serverName: files.serverName };
}
