import { describe, expect, it } from "vitest";
import { slackSignature, verifySlackSignature } from "./slack-signature.ts";

// Slack's documented example (api.slack.com/authentication/verifying-requests-from-slack).
const secret = "8f742231b10e8888abcd99yyyzzz85a5";
const timestamp = "1531420618";
const body =
  "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
const signature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
const now = Number(timestamp) * 1000;

describe("Slack request signature", () => {
  it("matches Slack's published example", () => {
    expect(slackSignature(secret, timestamp, body)).toBe(signature);
    expect(verifySlackSignature({ secret, timestamp, signature, body, nowMs: now + 299_000 })).toEqual({
      ok: true,
    });
  });

  it("refuses a forged body, a wrong secret, a stale timestamp, missing and malformed headers", () => {
    const check = (over: Partial<Parameters<typeof verifySlackSignature>[0]>) =>
      verifySlackSignature({ secret, timestamp, signature, body, nowMs: now, ...over });
    expect(check({ body: body.replace("roadrunner", "coyote") })).toMatchObject({
      ok: false,
      reason: "mismatch",
    });
    expect(check({ secret: "other" })).toMatchObject({ ok: false, reason: "mismatch" });
    expect(check({ nowMs: now + 301_000 })).toMatchObject({ ok: false, reason: "stale" });
    expect(check({ nowMs: now - 301_000 })).toMatchObject({ ok: false, reason: "stale" });
    expect(check({ signature: undefined })).toMatchObject({ ok: false, reason: "missing" });
    expect(check({ signature: "v1=abc" })).toMatchObject({ ok: false, reason: "malformed" });
    expect(check({ timestamp: "soon" })).toMatchObject({ ok: false, reason: "malformed" });
  });
});
