// The in-memory fakes of the link ports against the contracts their real adapters pass.
import { describe, expect, it } from "vitest";
import { describeUsedLinkStoreContract } from "../../testing/used-link-store.contract.ts";
import { describeVoteSubmitterContract } from "../../testing/vote-submitter.contract.ts";
import { createFakeVoteSubmitter } from "./fake-vote-submitter.ts";
import { createInMemoryUsedLinkStore } from "./in-memory-used-link-store.ts";

describeUsedLinkStoreContract("in memory", () => Promise.resolve(createInMemoryUsedLinkStore()));

describeVoteSubmitterContract("fake", () => {
  const fake = createFakeVoteSubmitter();
  fake.add({ actionId: "a1", agentId: "bot", required: 2, eligibleRoles: ["sre"] });
  return Promise.resolve({
    submit: fake.submit,
    read: fake.read,
    actionId: "a1",
    voters: [
      { type: "human", id: "alice", roles: ["sre"] },
      { type: "human", id: "bob", roles: ["sre"] },
    ],
    unknownActionId: "nope",
  });
});

describe("in-memory used-link store", () => {
  it("forgets an id after its TTL, like the KV bucket's per-message TTL", async () => {
    let now = 0;
    const store = createInMemoryUsedLinkStore(() => now);
    expect(await store.claim("id", 10)).toBe(true);
    now = 9_999;
    expect(await store.claim("id", 10)).toBe(false);
    now = 10_000;
    expect(await store.claim("id", 10)).toBe(true);
  });
});
