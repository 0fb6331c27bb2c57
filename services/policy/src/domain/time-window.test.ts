import { describe, expect, it } from "vitest";
import {
  inPeriod,
  inWindow,
  isValidTimeZone,
  parseClock,
  parseLocalDateTime,
  zonedTime,
} from "./time-window.ts";

const at = (iso: string): number => Date.parse(iso);

describe("zonedTime", () => {
  it("converts with Intl, including daylight saving time", () => {
    // Berlin: CET (UTC+1) until 2026-03-29 01:00 UTC, then CEST (UTC+2).
    expect(zonedTime(at("2026-03-28T07:30:00Z"), "Europe/Berlin")).toMatchObject({
      day: 28,
      hour: 8,
      minute: 30,
      weekday: 6,
    });
    expect(zonedTime(at("2026-03-29T07:30:00Z"), "Europe/Berlin")).toMatchObject({
      day: 29,
      hour: 9,
      minute: 30,
      weekday: 0,
    });
    expect(zonedTime(at("2026-01-01T02:00:00Z"), "America/New_York")).toMatchObject({
      year: 2025,
      month: 12,
      day: 31,
      hour: 21,
    });
    expect(zonedTime(at("2026-06-01T12:00:00Z"), "Asia/Kathmandu")).toMatchObject({ hour: 17, minute: 45 });
  });
});

describe("inWindow", () => {
  it("treats the start as inclusive and the end as exclusive", () => {
    expect(inWindow(at("2026-03-10T08:59:00Z"), "09:00", "17:00", "UTC")).toBe(false);
    expect(inWindow(at("2026-03-10T09:00:00Z"), "09:00", "17:00", "UTC")).toBe(true);
    expect(inWindow(at("2026-03-10T16:59:59Z"), "09:00", "17:00", "UTC")).toBe(true);
    expect(inWindow(at("2026-03-10T17:00:00Z"), "09:00", "17:00", "UTC")).toBe(false);
    expect(inWindow(at("2026-03-10T20:00:00Z"), "09:00", "17:00", "UTC")).toBe(false);
  });

  it("follows the zone across a DST change (same UTC time, different answer)", () => {
    // 07:30 UTC is 08:30 in Berlin on Saturday (CET) and 09:30 on Sunday (CEST).
    expect(inWindow(at("2026-03-28T07:30:00Z"), "09:00", "17:00", "Europe/Berlin")).toBe(false);
    expect(inWindow(at("2026-03-29T07:30:00Z"), "09:00", "17:00", "Europe/Berlin")).toBe(true);
    // New York switches on 2026-03-08: 13:30 UTC is 08:30 EST before, 09:30 EDT after.
    expect(inWindow(at("2026-03-06T13:30:00Z"), "09:00", "17:00", "America/New_York")).toBe(false);
    expect(inWindow(at("2026-03-09T13:30:00Z"), "09:00", "17:00", "America/New_York")).toBe(true);
  });

  it("spans midnight when the end is before the start", () => {
    expect(inWindow(at("2026-03-10T23:00:00Z"), "22:00", "06:00", "UTC")).toBe(true);
    expect(inWindow(at("2026-03-10T05:59:00Z"), "22:00", "06:00", "UTC")).toBe(true);
    expect(inWindow(at("2026-03-10T12:00:00Z"), "22:00", "06:00", "UTC")).toBe(false);
  });

  it("restricts to local weekdays", () => {
    const weekdays = ["Mon", "Tue", "Wed", "Thu", "Fri"];
    expect(inWindow(at("2026-03-13T10:00:00Z"), "08:00", "18:00", "Europe/Berlin", weekdays)).toBe(true); // Friday
    expect(inWindow(at("2026-03-14T10:00:00Z"), "08:00", "18:00", "Europe/Berlin", weekdays)).toBe(false); // Saturday
    // 23:30 UTC on Friday is already Saturday in Tokyo.
    expect(inWindow(at("2026-03-13T23:30:00Z"), "00:00", "24:00", "Asia/Tokyo", weekdays)).toBe(false);
  });

  it("rejects bad arguments", () => {
    expect(() => inWindow(0, "9:00", "17:00", "UTC")).toThrow(/time of day/);
    expect(() => inWindow(0, "09:00", "17:00", "Mars/Olympus")).toThrow(/unknown time zone/);
    expect(() => inWindow(0, "09:00", "17:00", "UTC", ["Monday"])).toThrow(/weekday/);
    expect(() => parseClock("24:01")).toThrow();
    expect(isValidTimeZone("America/New_York")).toBe(true);
    expect(isValidTimeZone("America/Nowhere")).toBe(false);
  });
});

describe("inPeriod (freeze windows)", () => {
  it("compares local date-times in the zone", () => {
    const from = "2026-12-21";
    const to = "2027-01-04";
    expect(inPeriod(at("2026-12-21T04:59:00Z"), from, to, "America/New_York")).toBe(false); // Dec 20, 23:59 EST
    expect(inPeriod(at("2026-12-21T05:00:00Z"), from, to, "America/New_York")).toBe(true);
    expect(inPeriod(at("2027-01-04T04:59:00Z"), from, to, "America/New_York")).toBe(true);
    expect(inPeriod(at("2027-01-04T05:00:00Z"), from, to, "America/New_York")).toBe(false);
  });

  it("accepts minutes and rejects malformed dates", () => {
    expect(
      inPeriod(at("2026-07-01T10:30:00Z"), "2026-07-01T12:00", "2026-07-01T13:00", "Europe/Berlin"),
    ).toBe(true);
    expect(() => parseLocalDateTime("2026-13-01")).toThrow(/local date-time/);
    expect(() => parseLocalDateTime("2026-07-01T12:00Z")).toThrow(/local date-time/);
  });
});
