// The VoteSubmitter contract: what the link transport relies on. The in-memory fake passes it as a
// unit test; approval-service's Temporal implementation (the workflow's vote update) is meant to
// run the same suite against the dev server.
import { describe, expect, it } from "vitest";
import type { ApprovalActor } from "../workflows/contract.ts";
import { VoteRefusedError } from "../app/ports.ts";
import type { ApprovalReader, VoteSubmitter } from "../app/ports.ts";

export interface VoteSubmitterFixture {
  submit: VoteSubmitter;
  read: ApprovalReader;
  /** A pending approval needing two approvals, from either of `voters`. */
  actionId: string;
  /** Two distinct eligible humans. */
  voters: [ApprovalActor, ApprovalActor];
  /** An action with no approval. */
  unknownActionId: string;
}

export function describeVoteSubmitterContract(name: string, make: () => Promise<VoteSubmitterFixture>): void {
  describe(`VoteSubmitter contract: ${name}`, () => {
    it("counts an eligible approval and shows it in the state", async () => {
      const f = await make();
      const view = await f.submit(f.actionId, { voter: f.voters[0], decision: "approve" });
      expect(view).toMatchObject({ actionId: f.actionId, status: "pending", approvals: 1, required: 2 });
      expect(view.votes.map((v) => [v.voter.id, v.decision])).toEqual([[f.voters[0].id, "approve"]]);
      expect((await f.read(f.actionId))?.approvals).toBe(1);
    });

    it("refuses a second vote by the same person, with a VoteRefusedError and nothing counted", async () => {
      const f = await make();
      await f.submit(f.actionId, { voter: f.voters[0], decision: "approve" });
      await expect(f.submit(f.actionId, { voter: f.voters[0], decision: "approve" })).rejects.toBeInstanceOf(
        VoteRefusedError,
      );
      expect((await f.read(f.actionId))?.approvals).toBe(1);
    });

    it("resolves at quorum and refuses votes afterwards", async () => {
      const f = await make();
      await f.submit(f.actionId, { voter: f.voters[0], decision: "approve" });
      const done = await f.submit(f.actionId, { voter: f.voters[1], decision: "approve" });
      expect(done.status).toBe("approved");
      await expect(
        f.submit(f.actionId, { voter: f.voters[1], decision: "reject", comment: "late" }),
      ).rejects.toBeInstanceOf(VoteRefusedError);
    });

    it("rejects with the reason, and knows no approval for an unknown action", async () => {
      const f = await make();
      const view = await f.submit(f.actionId, {
        voter: f.voters[1],
        decision: "reject",
        comment: "too risky",
      });
      expect(view.status).toBe("rejected");
      expect(await f.read(f.unknownActionId)).toBeUndefined();
      await expect(
        f.submit(f.unknownActionId, { voter: f.voters[0], decision: "approve" }),
      ).rejects.toBeInstanceOf(VoteRefusedError);
    });
  });
}
