import { ConfigError, parseConfig } from "@warden/config";
import { z } from "zod";
import { describe, expect, it } from "vitest";
import { approvalLinkKeys } from "./links-config.ts";

const schema = z.object({ ...approvalLinkKeys });
const base = {
  APPROVAL_LINK_BASE_URL: "https://approvals.example.com",
  APPROVAL_LINK_SIGNING_KEY: "k".repeat(32),
};

describe("approval link config keys", () => {
  it("parse with defaults", () => {
    expect(parseConfig(schema, base)).toEqual({
      ...base,
      APPROVAL_LINK_TTL_SECONDS: 900,
      APPROVAL_LINK_APPROVERS: {},
      APPROVAL_SLACK_TIMEOUT_MS: 5000,
      APPROVAL_SLACK_RETRIES: 3,
    });
  });

  it("read the approver directory as JSON", () => {
    const config = parseConfig(schema, { ...base, APPROVAL_LINK_APPROVERS: '{"alice":["team-lead","sre"]}' });
    expect(config.APPROVAL_LINK_APPROVERS).toEqual({ alice: ["team-lead", "sre"] });
  });

  it("name every bad key without printing the secret", () => {
    let err: unknown;
    try {
      parseConfig(schema, {
        APPROVAL_LINK_BASE_URL: "ftp://x",
        APPROVAL_LINK_SIGNING_KEY: "short-secret-value",
        APPROVAL_LINK_TTL_SECONDS: "5",
        APPROVAL_LINK_APPROVERS: "{nope",
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const message = (err as Error).message;
    for (const key of [
      "APPROVAL_LINK_BASE_URL",
      "APPROVAL_LINK_SIGNING_KEY",
      "APPROVAL_LINK_TTL_SECONDS",
      "APPROVAL_LINK_APPROVERS",
    ])
      expect(message).toContain(key);
    expect(message).not.toContain("short-secret-value");
  });
});
