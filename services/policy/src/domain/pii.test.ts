import { describe, expect, it } from "vitest";
import { containsPii, ibanValid, luhnValid, piiKinds, usSsnValid } from "./pii.ts";

describe("luhnValid", () => {
  it.each(["4111111111111111", "5555555555554444", "378282246310005", "6011111111111117", "79927398713"])(
    "accepts %s",
    (n) => {
      expect(luhnValid(n)).toBe(true);
    },
  );
  it.each(["4111111111111112", "1234567812345678", "79927398710", "", "4111-1111"])("rejects %s", (n) => {
    expect(luhnValid(n)).toBe(false);
  });
});

describe("ibanValid", () => {
  it.each([
    "DE89370400440532013000",
    "GB82 WEST 1234 5698 7654 32",
    "fr1420041010050500013m02606",
    "NL91ABNA0417164300",
  ])("accepts %s", (iban) => expect(ibanValid(iban)).toBe(true));
  it.each(["DE89370400440532013001", "GB82WEST12345698765433", "XX00", "DE8937040044"])(
    "rejects %s",
    (iban) => {
      expect(ibanValid(iban)).toBe(false);
    },
  );
});

describe("usSsnValid", () => {
  it("applies the SSA rules", () => {
    expect(usSsnValid("123", "45", "6789")).toBe(true);
    expect(usSsnValid("000", "45", "6789")).toBe(false);
    expect(usSsnValid("666", "45", "6789")).toBe(false);
    expect(usSsnValid("912", "45", "6789")).toBe(false);
    expect(usSsnValid("123", "00", "6789")).toBe(false);
    expect(usSsnValid("123", "45", "0000")).toBe(false);
  });
});

describe("piiKinds", () => {
  it.each([
    ["mail jane.doe+x@mail.example.co.uk now", ["email"]],
    ["call +1 415 555 0100", ["phone"]],
    ["call (415) 555-0100 or 415.555.0101", ["phone"]],
    ["card 4111 1111 1111 1111", ["card_number"]],
    ["card 4111-1111-1111-1111 exp 12/29", ["card_number"]],
    ["ssn 123-45-6789", ["national_id"]],
    ["NI number AB 12 34 56 C", ["national_id"]],
    ["NI number AB123456C", ["national_id"]],
    ["iban DE89 3704 0044 0532 0130 00", ["iban"]],
    ["a@b.io, +49 30 1234567, 5555555555554444", ["email", "phone", "card_number"]],
  ])("finds %s", (text, kinds) => {
    expect(piiKinds(text)).toEqual(kinds);
    expect(containsPii(text)).toBe(true);
  });

  it.each([
    "order 4111 1111 1111 1112 shipped", // fails Luhn
    "invoice 2026-03-10, total 1,234.56 USD",
    "ssn-like 000-12-3456 and 666-12-3456",
    "iban-like DE00 3704 0044 0532 0130 00",
    "version 1.2.3, build 20260310, port 8080",
    "reach us at support (at) example (dot) com",
    "",
  ])("finds nothing in %j", (text) => {
    expect(piiKinds(text)).toEqual([]);
    expect(containsPii(text)).toBe(false);
  });
});
