/**
 * Personal-data detection for outbound-message rules (CEL `containsPII`, `piiKinds`).
 * Pattern candidates are confirmed with checksums where the format has one (Luhn for card
 * numbers, ISO 13616 mod-97 for IBANs) so order numbers and timestamps do not trip the rule.
 */

export type PiiKind = "email" | "phone" | "card_number" | "national_id" | "iban";

export const PII_KINDS: readonly PiiKind[] = ["email", "phone", "card_number", "national_id", "iban"];

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/;
// 13-19 digits, optionally grouped by single spaces or dashes.
const CARD_CANDIDATE = /(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])/g;
// Country code, two check digits, 11-30 alphanumerics, optionally in groups of four.
const IBAN_CANDIDATE = /(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]){11,30}(?![A-Za-z0-9])/g;
// US social security number in its written form (AAA-GG-SSSS).
const US_SSN = /(?<![\d-])(\d{3})[- ](\d{2})[- ](\d{4})(?![\d-])/g;
// UK national insurance number (e.g. QQ 12 34 56 C).
const UK_NINO =
  /(?<![A-Za-z0-9])(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D](?![A-Za-z0-9])/;
// International numbers (+CC …) and North-American written forms ((415) 555-0100, 415-555-0100).
const PHONE_INTL = /(?<![\w+])\+\d(?:[ .-]?\(?\d\)?){7,14}(?!\d)/;
const PHONE_NANP = /(?<!\d)(?:\(\d{3}\) ?|\d{3}[-. ])\d{3}[-. ]\d{4}(?!\d)/;

/** Luhn (mod 10) check over a string of digits; separators must be removed first. */
export function luhnValid(digits: string): boolean {
  if (!/^\d{2,}$/.test(digits)) return false;
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/** ISO 13616 IBAN check: move the first four characters to the end, letters → 10…35, mod 97 = 1. */
export function ibanValid(iban: string): boolean {
  const s = iban.replace(/ /g, "").toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(s)) return false;
  const rearranged = s.slice(4) + s.slice(0, 4);
  let remainder = 0;
  for (let i = 0; i < rearranged.length; i++) {
    const c = rearranged.charCodeAt(i);
    const value = c >= 65 ? c - 55 : c - 48;
    remainder = value >= 10 ? (remainder * 100 + value) % 97 : (remainder * 10 + value) % 97;
  }
  return remainder === 1;
}

/** US SSN validity rules: area not 000, 666 or 9xx; group not 00; serial not 0000. */
export function usSsnValid(area: string, group: string, serial: string): boolean {
  return area !== "000" && area !== "666" && area[0] !== "9" && group !== "00" && serial !== "0000";
}

function hasCardNumber(text: string): boolean {
  for (const m of text.matchAll(CARD_CANDIDATE)) {
    const digits = m[0].replace(/[ -]/g, "");
    if (digits.length >= 13 && digits.length <= 19 && luhnValid(digits)) return true;
  }
  return false;
}

function hasIban(text: string): boolean {
  for (const m of text.matchAll(IBAN_CANDIDATE)) if (ibanValid(m[0])) return true;
  return false;
}

function hasNationalId(text: string): boolean {
  for (const m of text.matchAll(US_SSN)) {
    const [, area = "", group = "", serial = ""] = m;
    if (usSsnValid(area, group, serial)) return true;
  }
  return UK_NINO.test(text);
}

function hasPhone(text: string): boolean {
  return PHONE_INTL.test(text) || PHONE_NANP.test(text);
}

const DETECTORS: ReadonlyArray<readonly [PiiKind, (text: string) => boolean]> = [
  ["email", (t) => EMAIL.test(t)],
  ["phone", hasPhone],
  ["card_number", hasCardNumber],
  ["national_id", hasNationalId],
  ["iban", hasIban],
];

/** Kinds of personal data found in `text`, in {@link PII_KINDS} order. */
export function piiKinds(text: string): PiiKind[] {
  const kinds: PiiKind[] = [];
  for (const [kind, detect] of DETECTORS) if (detect(text)) kinds.push(kind);
  return kinds;
}

export function containsPii(text: string): boolean {
  for (const [, detect] of DETECTORS) if (detect(text)) return true;
  return false;
}
