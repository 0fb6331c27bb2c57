// Signing a report: Ed25519 (the audit's checkpoint scheme: keys parsed and named by @warden/audit's
// parseSigningKey / parsePublicKey / signingKeyId) over the UTF-8 RFC 8785 JSON of the report
// without its `signature`. The digest (sha256 of the same bytes) is what the audit records.
import { hash, sign, verify, type KeyObject } from "node:crypto";
import canonicalize from "canonicalize";
import type { ComplianceReport } from "./report.ts";

export function reportSigningInput(report: ComplianceReport): Buffer {
  const { signature: _signature, ...body } = report;
  const text = canonicalize(body);
  if (text === undefined) throw new Error("report cannot be canonicalized");
  return Buffer.from(text, "utf8");
}

/** "sha256:" + hex of SHA-256 over the signing input. */
export function reportDigest(report: ComplianceReport): string {
  return `sha256:${hash("sha256", reportSigningInput(report))}`;
}

export function signReport(report: ComplianceReport, privateKey: KeyObject, keyId: string): ComplianceReport {
  const value = sign(null, reportSigningInput(report), privateKey).toString("base64");
  return { ...report, signature: { alg: "Ed25519", keyId, value } };
}

/** Whether the report carries a valid Ed25519 signature by `publicKey`. */
export function verifyReportSignature(report: ComplianceReport, publicKey: KeyObject): boolean {
  const sig = report.signature;
  if (sig?.alg !== "Ed25519" || typeof sig.value !== "string") return false;
  try {
    return verify(null, reportSigningInput(report), publicKey, Buffer.from(sig.value, "base64"));
  } catch {
    return false;
  }
}
