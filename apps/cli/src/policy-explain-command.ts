import type { Bundle, StopState } from "@warden/policy";
import { BundleError, createEvaluator, createFsBundleSource, loadBundle, USAGE_NONE } from "@warden/policy";
import { assertBundleDir, printBundleIssues } from "./bundle-dir.ts";
import { EXIT } from "./cli-error.ts";
import type { CliIo } from "./cli-io.ts";
import { formatExplanationJson, formatExplanationText } from "./format-explanation.ts";
import { readActionRequest } from "./read-action-request.ts";

export interface PolicyExplainOptions {
  readonly bundle: string;
  /** Request file, or `-` for standard input. */
  readonly request: string;
  /** Authenticated agent; default: the request's agentId. */
  readonly agent?: string;
  readonly stopState: StopState;
  /** Evaluation time (epoch ms); default: now. */
  readonly time?: number;
  readonly json: boolean;
}

/**
 * `warden policy explain`: evaluates one request and prints the decision with every rule considered.
 * Exit 0 whenever the explanation is printed, whatever the outcome; 2 for bad input.
 */
export async function policyExplain(options: PolicyExplainOptions, io: CliIo): Promise<number> {
  await assertBundleDir(options.bundle);
  const request = await readActionRequest(options.request, io);
  let bundle: Bundle;
  try {
    bundle = await loadBundle(createFsBundleSource(options.bundle));
  } catch (err) {
    if (!(err instanceof BundleError)) throw err;
    printBundleIssues(options.bundle, err, io);
    return EXIT.invalid;
  }
  const authenticatedAgent = options.agent ?? request.agentId;
  const explanation = createEvaluator(bundle).explain(request, {
    authenticatedAgentId: authenticatedAgent,
    stopState: options.stopState,
    // Offline: no recorded usage, so rate and budget limits are not reached here.
    usage: USAGE_NONE,
    now: options.time ?? Date.now(),
  });
  const view = {
    dir: options.bundle,
    bundleName: bundle.name,
    authenticatedAgent,
    request,
    stopState: options.stopState,
    explanation,
  };
  io.out(options.json ? formatExplanationJson(view) : formatExplanationText(view));
  return EXIT.ok;
}
