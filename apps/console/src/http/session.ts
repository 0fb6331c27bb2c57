// The session and CSRF cookies. The session cookie holds the person's bearer token (HttpOnly,
// SameSite=Strict, so page scripts and other sites never see or send it); every POST carries a
// CSRF token that is an HMAC of a random per-browser cookie (signed double submit), checked in
// constant time, on top of Hono's Origin check.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";

export const SESSION_COOKIE = "warden_session";
export const CSRF_COOKIE = "warden_csrf";
export const CSRF_FIELD = "_csrf";

export interface CookieOptions {
  secure: boolean;
}

export interface Csrf {
  /** The token to put in this browser's forms (sets the CSRF cookie if it has none). */
  tokenFor(c: Context): string;
  /** True when the form's token matches this browser's cookie. */
  valid(c: Context, submitted: unknown): boolean;
}

export function createCsrf(secret: string | Buffer, cookies: CookieOptions): Csrf {
  const sign = (nonce: string): string => createHmac("sha256", secret).update(nonce).digest("base64url");
  return {
    tokenFor(c) {
      let nonce = getCookie(c, CSRF_COOKIE);
      if (nonce === undefined || nonce.length < 16) {
        nonce = randomBytes(24).toString("base64url");
        setCookie(c, CSRF_COOKIE, nonce, {
          httpOnly: true,
          sameSite: "Strict",
          path: "/",
          secure: cookies.secure,
        });
      }
      return sign(nonce);
    },
    valid(c, submitted) {
      const nonce = getCookie(c, CSRF_COOKIE);
      if (nonce === undefined || typeof submitted !== "string") return false;
      const expected = Buffer.from(sign(nonce));
      const given = Buffer.from(submitted);
      return expected.length === given.length && timingSafeEqual(expected, given);
    },
  };
}

export function setSession(c: Context, token: string, maxAgeSeconds: number, cookies: CookieOptions): void {
  setCookie(c, SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: "Strict",
    path: "/",
    secure: cookies.secure,
    maxAge: maxAgeSeconds,
  });
}

export const sessionToken = (c: Context): string | undefined => getCookie(c, SESSION_COOKIE);

export function clearSession(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, { path: "/" });
}
