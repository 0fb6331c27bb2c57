// Fixtures for the link tests: a fixed signing key, a controllable clock, a link-votes app over fakes.
import { createDevIssuer } from "@warden/identity";
import type { DevIssuer } from "@warden/identity";
import { createLinkTokens } from "../domain/link-token.ts";
import type { LinkGrant, LinkTokens } from "../domain/link-token.ts";
import type { UsedLinkStore, VoteSubmitter } from "../app/ports.ts";
import { createLinkVotes } from "../app/link-votes.ts";
import type { LinkVotes } from "../app/link-votes.ts";
import { createInMemoryLinkRefusals } from "../adapters/fakes/in-memory-link-refusals.ts";
import { createInMemoryUsedLinkStore } from "../adapters/fakes/in-memory-used-link-store.ts";
import { createFakeVoteSubmitter } from "../adapters/fakes/fake-vote-submitter.ts";
import type { FakeVoteSubmitter } from "../adapters/fakes/fake-vote-submitter.ts";
import { createStaticApproverDirectory } from "../adapters/config/static-approver-directory.ts";

/** A person → roles directory for tests (the config-backed adapter). */
export const testDirectory = (people: Record<string, string[]>) => createStaticApproverDirectory(people);

export const TEST_LINK_KEY = new TextEncoder().encode("test-link-signing-key-0123456789abcdef");
export const T0 = new Date("2026-06-01T10:00:00.000Z");

export function clock(start = T0) {
  let at = start.getTime();
  return { now: () => new Date(at), ms: () => at, advance: (seconds: number) => void (at += seconds * 1000) };
}

export function grant(over: Partial<LinkGrant> = {}): LinkGrant {
  return {
    actionId: "act-1",
    agentId: "deploy-bot",
    approver: "alice",
    decision: "approve",
    risk: "medium",
    environment: "production",
    summary: "code.deploy via github.merge on service/payments-api — fix rounding bug (JIRA-7)",
    ...over,
  };
}

export interface LinkWorld {
  tokens: LinkTokens;
  links: LinkVotes;
  votes: FakeVoteSubmitter;
  refusals: ReturnType<typeof createInMemoryLinkRefusals>;
  used: UsedLinkStore;
  issuer: DevIssuer;
  clock: ReturnType<typeof clock>;
}

/** The link-votes app over fakes, with act-1 pending (2 approvals from team-lead or sre). */
export async function linkWorld(
  options: { used?: UsedLinkStore; vote?: VoteSubmitter; ttlSeconds?: number } = {},
): Promise<LinkWorld> {
  const c = clock();
  const tokens = createLinkTokens({
    key: TEST_LINK_KEY,
    ttlSeconds: options.ttlSeconds ?? 900,
    issuer: "warden-approval",
    now: c.now,
  });
  const votes = createFakeVoteSubmitter(c.now);
  votes.add({
    actionId: "act-1",
    agentId: "deploy-bot",
    required: 2,
    eligibleRoles: ["team-lead", "sre"],
    requestedBy: "mallory",
  });
  const refusals = createInMemoryLinkRefusals();
  const used = options.used ?? createInMemoryUsedLinkStore(c.ms);
  const issuer = await createDevIssuer({ issuer: "https://id.test/", audience: "warden" });
  const verifier = issuer.verifier();
  const links = createLinkVotes({
    tokens,
    used,
    vote: options.vote ?? votes.submit,
    read: votes.read,
    refusals,
    directory: createStaticApproverDirectory({ alice: ["team-lead"], bob: ["sre"], mallory: ["team-lead"] }),
    authenticate: (bearer) => verifier.verify(bearer),
    now: c.now,
  });
  return { tokens, links, votes, refusals, used, issuer, clock: c };
}
