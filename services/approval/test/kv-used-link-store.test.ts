// The JetStream KV used-link store against the UsedLinkStore contract (the fake passes the same
// suite as a unit test), plus the per-message TTL that makes a used id expire with its link.
import { jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeUsedLinkStoreContract } from "../src/testing/used-link-store.contract.ts";
import { kvNamespace } from "./link-support.ts";
import type { KvNamespace } from "./link-support.ts";

let ns: KvNamespace;
beforeAll(async () => {
  ns = await kvNamespace("links-kv");
});
afterAll(async () => {
  await ns.close();
});

describeUsedLinkStoreContract("JetStream KV", () => ns.used());

describe("JetStream KV used-link store", () => {
  it("writes each used id with the link's TTL (Nats-TTL header)", async () => {
    const store = await ns.used();
    expect(await store.claim("ttl-check", 1234)).toBe(true);
    const kv = await new Kvm(ns.nc).open(ns.t.kv.approvalLinks);
    const entry = await kv.get("link.ttl-check");
    expect(entry?.operation).toBe("PUT");
    const jsm = await jetstreamManager(ns.nc);
    const msg = await jsm.streams.getMessage(`KV_${ns.t.kv.approvalLinks}`, {
      last_by_subj: `$KV.${ns.t.kv.approvalLinks}.link.ttl-check`,
    });
    expect(msg?.header.get("Nats-TTL")).toBe("1234s");
  });

  it("refuses an id that is not a valid key instead of writing it", async () => {
    const store = await ns.used();
    await expect(store.claim("a.b>", 60)).rejects.toThrow(/not a valid KV key/);
  });
});
