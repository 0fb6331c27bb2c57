import { describe, expect, it } from "vitest";
import { VoteRefusedError } from "./ports.ts";
import { grant, linkWorld } from "../testing/link-fixtures.ts";

describe("voting through a link", () => {
  it("inspecting (the GET page) votes nothing, claims nothing and records nothing", async () => {
    const w = await linkWorld();
    const { token } = await w.tokens.issue(grant());
    for (let i = 0; i < 3; i++) {
      const seen = await w.links.inspect(token);
      expect(seen).toMatchObject({ ok: true, used: false, bearerRequired: false });
    }
    expect(w.votes.accepted).toEqual([]);
    expect(w.refusals.refusals).toEqual([]);
    // The link still votes afterwards.
    expect((await w.links.cast({ token })).ok).toBe(true);
  });

  it("casts the link's decision as its approver, with the directory's roles", async () => {
    const w = await linkWorld();
    const { token } = await w.tokens.issue(grant());
    const cast = await w.links.cast({ token, comment: "looks fine" });
    expect(cast).toMatchObject({ ok: true, approval: { approvals: 1, status: "pending" } });
    expect(w.votes.accepted).toEqual([
      {
        actionId: "act-1",
        vote: {
          voter: { type: "human", id: "alice", roles: ["team-lead"] },
          decision: "approve",
          comment: "looks fine",
        },
      },
    ]);
  });

  it("a reused link votes once and the second use is refused and recorded", async () => {
    const w = await linkWorld();
    const { token, claims } = await w.tokens.issue(grant());
    expect((await w.links.cast({ token })).ok).toBe(true);
    const again = await w.links.cast({ token });
    expect(again).toMatchObject({ ok: false, refusal: { reason: "reused", linkId: claims.linkId } });
    expect(w.votes.accepted).toHaveLength(1);
    expect(w.refusals.refusals.map((r) => r.reason)).toEqual(["reused"]);
    expect(await w.links.inspect(token)).toMatchObject({ ok: true, used: true });
  });

  it("an expired link is refused and recorded; a fresh one for the same person still votes", async () => {
    const w = await linkWorld({ ttlSeconds: 60 });
    const old = await w.tokens.issue(grant());
    w.clock.advance(61);
    expect(await w.links.cast({ token: old.token })).toMatchObject({
      ok: false,
      refusal: { reason: "expired" },
    });
    const fresh = await w.tokens.issue(grant());
    expect((await w.links.cast({ token: fresh.token })).ok).toBe(true);
    expect(w.refusals.refusals.map((r) => r.reason)).toEqual(["expired"]);
  });

  it("a tampered link is refused and recorded without trusting its claims", async () => {
    const w = await linkWorld();
    const { token } = await w.tokens.issue(grant());
    const cast = await w.links.cast({ token: `${token.slice(0, -2)}AA` });
    expect(cast).toMatchObject({ ok: false, refusal: { reason: "tampered" } });
    expect(w.refusals.refusals[0]?.actionId).toBeUndefined();
    expect(w.votes.accepted).toEqual([]);
  });

  it("a sign-in token of someone else is a wrong approver; the link is not burnt", async () => {
    const w = await linkWorld();
    const { token } = await w.tokens.issue(grant());
    const bob = await w.issuer.issue({ sub: "bob", roles: ["sre"] });
    expect(await w.links.cast({ token, bearer: bob })).toMatchObject({
      ok: false,
      refusal: { reason: "wrong_approver", caller: "bob", approver: "alice" },
    });
    expect(w.votes.accepted).toEqual([]);
    // Control: alice's own token with the same link votes (the refusal did not use it up).
    const alice = await w.issuer.issue({ sub: "alice", roles: ["team-lead"] });
    expect((await w.links.cast({ token, bearer: alice })).ok).toBe(true);
    expect(w.votes.accepted[0]?.vote.voter).toEqual({ type: "human", id: "alice", roles: ["team-lead"] });
  });

  it("high and critical risk need the person's own valid bearer token", async () => {
    const w = await linkWorld();
    for (const risk of ["high", "critical"] as const) {
      const { token } = await w.tokens.issue(grant({ risk }));
      expect((await w.links.inspect(token)).ok && (await w.links.inspect(token))).toMatchObject({
        bearerRequired: true,
      });
      expect(await w.links.cast({ token })).toMatchObject({
        ok: false,
        refusal: { reason: "unauthenticated" },
      });
      const expired = await w.issuer.issue({ sub: "alice", roles: ["team-lead"], expiresIn: "-1m" });
      expect(await w.links.cast({ token, bearer: expired })).toMatchObject({
        ok: false,
        refusal: { reason: "unauthenticated" },
      });
    }
    expect(w.votes.accepted).toEqual([]);
    const { token } = await w.tokens.issue(grant({ risk: "high" }));
    const alice = await w.issuer.issue({ sub: "alice", roles: ["team-lead"] });
    expect((await w.links.cast({ token, bearer: alice })).ok).toBe(true);
  });

  it("rejecting needs a reason; the link stays usable until one is given", async () => {
    const w = await linkWorld();
    const { token } = await w.tokens.issue(grant({ decision: "reject" }));
    expect(await w.links.cast({ token, comment: "  " })).toMatchObject({
      ok: false,
      refusal: { reason: "invalid_input", message: "comment: a reason is required to reject" },
    });
    expect(await w.links.cast({ token, comment: "not during the freeze" })).toMatchObject({
      ok: true,
      approval: { status: "rejected" },
    });
  });

  it("a vote the workflow refuses comes back with its message, is recorded and uses the link", async () => {
    const w = await linkWorld();
    const { token } = await w.tokens.issue(grant({ approver: "mallory" }));
    const cast = await w.links.cast({ token });
    expect(cast).toMatchObject({
      ok: false,
      forbidden: true,
      refusal: { reason: "vote_refused", message: "mallory asked for this action and cannot approve it" },
    });
    expect(w.refusals.refusals.map((r) => r.reason)).toEqual(["vote_refused"]);
    expect(await w.used.isUsed((await w.tokens.verify(token)).linkId)).toBe(true);
  });

  it("a transient failure of the vote gives the link back", async () => {
    let fail = true;
    const inner = await linkWorld();
    const w = await linkWorld({
      vote: (actionId, vote) =>
        fail ? Promise.reject(new Error("temporal unavailable")) : inner.votes.submit(actionId, vote),
    });
    const { token } = await w.tokens.issue(grant());
    await expect(w.links.cast({ token })).rejects.toThrow("temporal unavailable");
    fail = false;
    expect((await w.links.cast({ token })).ok).toBe(true);
    expect(w.refusals.refusals).toEqual([]);
  });

  it("refusals of the workflow keep their type", () => {
    const err = new VoteRefusedError("already_voted", "alice has already voted");
    expect([err.code, err.forbidden]).toEqual(["already_voted", false]);
    expect(new VoteRefusedError("self_approval", "the requester cannot approve").forbidden).toBe(true);
  });
});
