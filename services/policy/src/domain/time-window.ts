/**
 * Time windows and freeze windows in a named IANA time zone (CEL `inWindow`, `inPeriod`).
 * Zone conversion is done by Intl.DateTimeFormat only; the wall-clock fields of the current
 * minute are cached per zone so the hot path pays for Intl once a minute, not once a request.
 */

export const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface ZonedTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  /** 0 = Sunday … 6 = Saturday */
  readonly weekday: number;
}

export class TimeWindowError extends Error {
  override readonly name = "TimeWindowError";
}

const MAX_CACHED_ZONES = 512;
const formatters = new Map<string, Intl.DateTimeFormat>();
const lastMinute = new Map<string, { minute: number; time: ZonedTime }>();

function formatterFor(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (f === undefined) {
    try {
      f = new Intl.DateTimeFormat("en-US", {
        timeZone: zone,
        hourCycle: "h23",
        year: "numeric",
        month: "numeric",
        day: "numeric",
        hour: "numeric",
        minute: "numeric",
        weekday: "short",
      });
    } catch {
      throw new TimeWindowError(`unknown time zone "${zone}"`);
    }
    if (formatters.size >= MAX_CACHED_ZONES) formatters.clear();
    formatters.set(zone, f);
  }
  return f;
}

/** True when `zone` is an IANA time zone name Intl knows. */
export function isValidTimeZone(zone: string): boolean {
  try {
    formatterFor(zone);
    return true;
  } catch {
    return false;
  }
}

/** Wall-clock time of `epochMs` in `zone`, at minute resolution. */
export function zonedTime(epochMs: number, zone: string): ZonedTime {
  const minute = Math.floor(epochMs / 60_000);
  const cached = lastMinute.get(zone);
  if (cached !== undefined && cached.minute === minute) return cached.time;
  const fields: Record<string, string> = {};
  for (const part of formatterFor(zone).formatToParts(minute * 60_000)) fields[part.type] = part.value;
  const time: ZonedTime = {
    year: Number(fields.year),
    month: Number(fields.month),
    day: Number(fields.day),
    hour: Number(fields.hour),
    minute: Number(fields.minute),
    weekday: WEEKDAYS.indexOf(fields.weekday as Weekday),
  };
  if (lastMinute.size >= MAX_CACHED_ZONES) lastMinute.clear();
  lastMinute.set(zone, { minute, time });
  return time;
}

const CLOCK = /^([01]\d|2[0-3]):([0-5]\d)$|^24:00$/;
const clockCache = new Map<string, number>();

/** "HH:MM" (00:00 … 24:00) → minutes after midnight. */
export function parseClock(hhmm: string): number {
  let minutes = clockCache.get(hhmm);
  if (minutes === undefined) {
    const m = CLOCK.exec(hhmm);
    if (m === null) throw new TimeWindowError(`"${hhmm}" is not a time of day (HH:MM, 00:00 … 24:00)`);
    minutes = m[1] === undefined ? 1440 : Number(m[1]) * 60 + Number(m[2]);
    if (clockCache.size < 4096) clockCache.set(hhmm, minutes);
  }
  return minutes;
}

const LOCAL_DATETIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2}))?$/;
const datetimeCache = new Map<string, number>();

/** "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM" (local, no offset) → sortable number YYYYMMDDHHMM. */
export function parseLocalDateTime(text: string): number {
  let key = datetimeCache.get(text);
  if (key === undefined) {
    const m = LOCAL_DATETIME.exec(text);
    const [y, mo, d, h, mi] = m === null ? [] : [m[1], m[2], m[3], m[4] ?? "00", m[5] ?? "00"].map(Number);
    if (
      y === undefined ||
      mo === undefined ||
      d === undefined ||
      h === undefined ||
      mi === undefined ||
      mo < 1 ||
      mo > 12 ||
      d < 1 ||
      d > 31 ||
      h > 23 ||
      mi > 59
    ) {
      throw new TimeWindowError(`"${text}" is not a local date-time (YYYY-MM-DD or YYYY-MM-DDTHH:MM)`);
    }
    key = (((y * 100 + mo) * 100 + d) * 100 + h) * 100 + mi;
    if (datetimeCache.size < 4096) datetimeCache.set(text, key);
  }
  return key;
}

/** "Mon" … "Sun" → 0 (Sunday) … 6. */
export function parseWeekday(day: string): number {
  const i = WEEKDAYS.indexOf(day as Weekday);
  if (i < 0) throw new TimeWindowError(`"${day}" is not a weekday (${WEEKDAYS.join(", ")})`);
  return i;
}

/**
 * True when `epochMs` falls inside the daily window [start, end) in `zone`, optionally only on the
 * given weekdays (local). A window whose end is before its start spans midnight (e.g. 22:00-06:00);
 * start == end means the whole day.
 */
export function inWindow(
  epochMs: number,
  start: string,
  end: string,
  zone: string,
  days?: readonly string[],
): boolean {
  const from = parseClock(start);
  const to = parseClock(end);
  const t = zonedTime(epochMs, zone);
  if (days !== undefined) {
    let dayOk = false;
    for (const d of days) if (parseWeekday(d) === t.weekday) dayOk = true;
    if (!dayOk) return false;
  }
  const m = t.hour * 60 + t.minute;
  if (from === to) return true;
  return from < to ? m >= from && m < to : m >= from || m < to;
}

/** True when `epochMs` falls inside the period [from, to) of local date-times in `zone` (freeze windows). */
export function inPeriod(epochMs: number, from: string, to: string, zone: string): boolean {
  const lo = parseLocalDateTime(from);
  const hi = parseLocalDateTime(to);
  const t = zonedTime(epochMs, zone);
  const now = (((t.year * 100 + t.month) * 100 + t.day) * 100 + t.hour) * 100 + t.minute;
  return now >= lo && now < hi;
}
