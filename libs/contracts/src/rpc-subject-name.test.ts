// One name for the synchronous policy subject, everywhere: only `wardenrpc.policy.evaluate.<agent>`
// answers (the last token is the agent's identity), so neither the descriptor set that gRPC
// reflection serves nor a proto file or a document of the repository may give the bare
// `wardenrpc.policy.evaluate` as the subject to request on.
import { globSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { readDescriptorSet } from "./descriptor-set.ts";

/** A mention of the RPC subject not followed by a token (`.<agent_id>`, `.release-pipeline`, `.*`). */
const BARE = /wardenrpc\.policy\.evaluate(?![.\w])/;
const REPO = join(import.meta.dirname, "..", "..", "..");

describe("the policy RPC subject", () => {
  it("is named with its agent token in every comment gRPC reflection serves", () => {
    const set = fromBinary(FileDescriptorSetSchema, readDescriptorSet());
    const comments = set.file.flatMap((f) =>
      (f.sourceCodeInfo?.location ?? []).flatMap((l) => [l.leadingComments, l.trailingComments]),
    );
    const mentions = comments.filter((c) => c.includes("wardenrpc.policy.evaluate"));
    expect(mentions.length).toBeGreaterThan(0); // the control: the comments are there to be read
    expect(mentions.filter((c) => BARE.test(c))).toEqual([]);
  });

  it("is named with its agent token in every proto file and document of the repository", () => {
    const files = globSync(["**/*.md", "**/*.proto"], {
      cwd: REPO,
      exclude: (name) => name === "node_modules" || name.startsWith("."),
    });
    const mentioning = files.filter((f) =>
      readFileSync(join(REPO, f), "utf8").includes("wardenrpc.policy.evaluate"),
    );
    expect(mentioning.length).toBeGreaterThan(0);
    const bare = mentioning.filter((f) => BARE.test(readFileSync(join(REPO, f), "utf8")));
    expect(bare.map((f) => relative(".", f))).toEqual([]);
  });
});
