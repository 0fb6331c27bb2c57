import type { LinkRefusal } from "../../domain/approval-notice.ts";
import type { LinkRefusalSink } from "../../app/ports.ts";

/** A LinkRefusalSink that keeps the refusals. */
export function createInMemoryLinkRefusals(): LinkRefusalSink & { readonly refusals: LinkRefusal[] } {
  const refusals: LinkRefusal[] = [];
  return {
    refusals,
    refused(refusal) {
      refusals.push(refusal);
      return Promise.resolve();
    },
  };
}
