// Development and test certificates: a CA, a server certificate (SAN 127.0.0.1 / localhost) and a
// client certificate, written as PEM files into a directory. Built with @peculiar/x509 over Node's
// WebCrypto (ECDSA P-256). Never for production: production certificates come from the
// deployment's issuer (cert-manager, a vault) as mounted secrets (deploy/README.md).
// @peculiar/x509 resolves its algorithm providers with tsyringe, which needs the Reflect metadata polyfill.
import "reflect-metadata";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { webcrypto } from "node:crypto";
import type { Extension } from "@peculiar/x509";
import {
  BasicConstraintsExtension,
  ExtendedKeyUsage,
  ExtendedKeyUsageExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  PemConverter,
  SubjectAlternativeNameExtension,
  X509CertificateGenerator,
} from "@peculiar/x509";

const ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const DAY_MS = 86_400_000;

/** A certificate and its private key, both PEM. */
export type PemPair = { certPem: string; keyPem: string };

/** A CA that can issue further certificates (`issueDevCertificate`). */
export type DevCertificateAuthority = PemPair & { name: string; keys: webcrypto.CryptoKeyPair };

export type DevCertificateOptions = {
  /** Subject common name. */
  commonName: string;
  /** `server` gets serverAuth and the SANs; `client` gets clientAuth. */
  kind: "server" | "client";
  /** DNS names and IP addresses for the SAN (servers). Default 127.0.0.1, ::1 and localhost. */
  hosts?: readonly string[];
  /** Default 30 days. */
  validDays?: number;
  /** Default now minus one minute (clock skew). Set in the past to make an expired certificate. */
  notBefore?: Date;
};

/** Paths of the files `generateDevTls` writes. */
export type DevTlsFiles = {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
};

async function newKeys(): Promise<webcrypto.CryptoKeyPair> {
  return await webcrypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]);
}

async function keyPem(keys: webcrypto.CryptoKeyPair): Promise<string> {
  const pkcs8 = await webcrypto.subtle.exportKey("pkcs8", keys.privateKey);
  return PemConverter.encode(pkcs8, "PRIVATE KEY");
}

/** A self-signed CA certificate (CA:true, keyCertSign). */
export async function generateDevCertificateAuthority(
  commonName = "Warden development CA",
  validDays = 30,
): Promise<DevCertificateAuthority> {
  const keys = await newKeys();
  const name = `CN=${commonName}`;
  const notBefore = new Date(Date.now() - 60_000);
  const cert = await X509CertificateGenerator.createSelfSigned({
    name,
    keys,
    notBefore,
    notAfter: new Date(notBefore.getTime() + validDays * DAY_MS),
    signingAlgorithm: ALGORITHM,
    extensions: [
      new BasicConstraintsExtension(true, 0, true),
      new KeyUsagesExtension(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign, true),
    ],
  });
  return { name, keys, certPem: cert.toString("pem"), keyPem: await keyPem(keys) };
}

function isIp(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(":");
}

/** A leaf certificate signed by `ca`. */
export async function issueDevCertificate(
  ca: DevCertificateAuthority,
  options: DevCertificateOptions,
): Promise<PemPair> {
  const keys = await newKeys();
  const notBefore = options.notBefore ?? new Date(Date.now() - 60_000);
  const hosts = options.hosts ?? ["127.0.0.1", "::1", "localhost"];
  const extensions: Extension[] = [
    new BasicConstraintsExtension(false, undefined, true),
    new KeyUsagesExtension(KeyUsageFlags.digitalSignature | KeyUsageFlags.keyEncipherment, true),
    new ExtendedKeyUsageExtension([
      options.kind === "server" ? ExtendedKeyUsage.serverAuth : ExtendedKeyUsage.clientAuth,
    ]),
  ];
  if (options.kind === "server") {
    extensions.push(
      new SubjectAlternativeNameExtension(
        hosts.map((host) => ({ type: isIp(host) ? ("ip" as const) : ("dns" as const), value: host })),
      ),
    );
  }
  const cert = await X509CertificateGenerator.create({
    subject: `CN=${options.commonName}`,
    issuer: ca.name,
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    notBefore,
    notAfter: new Date(notBefore.getTime() + (options.validDays ?? 30) * DAY_MS),
    signingAlgorithm: ALGORITHM,
    extensions,
  });
  return { certPem: cert.toString("pem"), keyPem: await keyPem(keys) };
}

/**
 * Writes `ca.crt`, `server.crt` / `server.key` (SAN 127.0.0.1, ::1, localhost, plus `hosts`) and
 * `client.crt` / `client.key` (CN `clientName`) into `dir` (created if missing; keys mode 0600).
 */
export async function generateDevTls(
  dir: string,
  options: { hosts?: readonly string[]; clientName?: string } = {},
): Promise<DevTlsFiles> {
  await mkdir(dir, { recursive: true });
  const ca = await generateDevCertificateAuthority();
  const server = await issueDevCertificate(ca, {
    commonName: "warden-server",
    kind: "server",
    hosts: ["127.0.0.1", "::1", "localhost", ...(options.hosts ?? [])],
  });
  const client = await issueDevCertificate(ca, {
    commonName: options.clientName ?? "warden-client",
    kind: "client",
  });
  const files: DevTlsFiles = {
    dir,
    caCert: join(dir, "ca.crt"),
    serverCert: join(dir, "server.crt"),
    serverKey: join(dir, "server.key"),
    clientCert: join(dir, "client.crt"),
    clientKey: join(dir, "client.key"),
  };
  await writeFile(files.caCert, ca.certPem);
  await writeFile(files.serverCert, server.certPem);
  await writeFile(files.serverKey, server.keyPem, { mode: 0o600 });
  await writeFile(files.clientCert, client.certPem);
  await writeFile(files.clientKey, client.keyPem, { mode: 0o600 });
  return files;
}
