// In-memory fakes of the policy service's ports, for unit tests.
import type { ActionRequest } from "../../domain/action-request.ts";
import type { Decision } from "../../domain/decision.ts";
import { STOP_CLEAR } from "../../domain/stop-state.ts";
import type { StopState } from "../../domain/stop-state.ts";
import type {
  BundleActivation,
  BundleEvents,
  BundleRejection,
  DecisionSink,
  RequestOrigin,
  StopStateReader,
} from "../../app/ports.ts";

export class FakeStopState implements StopStateReader {
  state: StopState = STOP_CLEAR;
  current(): StopState {
    return this.state;
  }
}

export class FakeDecisionSink implements DecisionSink {
  readonly decisions: {
    decision: Decision;
    request: ActionRequest;
    origin: RequestOrigin;
    stop: StopState;
  }[] = [];
  failNext: Error | undefined;
  decided(decision: Decision, request: ActionRequest, origin: RequestOrigin, stop: StopState): Promise<void> {
    const failure = this.failNext;
    this.failNext = undefined;
    if (failure !== undefined) return Promise.reject(failure);
    this.decisions.push({ decision, request, origin, stop });
    return Promise.resolve();
  }
}

export class FakeBundleEvents implements BundleEvents {
  readonly activations: BundleActivation[] = [];
  readonly rejections: BundleRejection[] = [];
  activated(event: BundleActivation): Promise<void> {
    this.activations.push(event);
    return Promise.resolve();
  }
  rejected(event: BundleRejection): Promise<void> {
    this.rejections.push(event);
    return Promise.resolve();
  }
}
