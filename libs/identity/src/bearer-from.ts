import { AuthError } from "./auth-error.ts";

const bearerPattern = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;

/**
 * The token of an `Authorization: Bearer <token>` header value (gRPC metadata may give a list: the
 * first value is used). Absent or blank → AuthError `missing`; anything else → `malformed`.
 */
export function bearerFrom(headerValue: string | readonly string[] | null | undefined): string {
  const value = typeof headerValue === "string" ? headerValue : headerValue?.[0];
  if (value === undefined || value.trim() === "") {
    throw new AuthError("missing", "no bearer token: the authorization header is missing");
  }
  const trimmed = value.trim();
  const match = bearerPattern.exec(trimmed);
  if (match?.[1] === undefined) {
    const scheme = trimmed.split(/\s+/)[0] ?? "";
    const reason = scheme.toLowerCase() === "bearer" ? "no token after Bearer" : `the scheme is not Bearer`;
    throw new AuthError("malformed", `malformed authorization header: ${reason}`);
  }
  return match[1];
}
