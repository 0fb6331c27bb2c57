import { context, propagation, trace } from "@opentelemetry/api";
import type { Attributes, Tracer } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { defaultResource, resourceFromAttributes } from "@opentelemetry/resources";
import type { Resource } from "@opentelemetry/resources";
import { NodeSDK } from "@opentelemetry/sdk-node";
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  InMemorySpanExporter,
  NoopSpanProcessor,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
} from "@opentelemetry/sdk-trace";
import type { ReadableSpan, SpanProcessor } from "@opentelemetry/sdk-trace";
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from "@opentelemetry/semantic-conventions";

/** Where finished spans go. */
export type TraceExporterOption =
  /** Spans get ids and propagate, but are not exported. */
  | { kind: "none" }
  /**
   * OTLP over HTTP to a collector; `url` is the base (`/v1/traces` is appended). Without `url` the
   * exporter follows the standard `OTEL_EXPORTER_OTLP_*` variables and their defaults.
   */
  | { kind: "otlp"; url?: string | undefined; headers?: Record<string, string> }
  /** One line per span on stdout, for local debugging. */
  | { kind: "console" }
  /** Kept in memory, exported synchronously; for tests. */
  | { kind: "memory"; exporter: InMemorySpanExporter };

export interface TelemetryOptions {
  service: string;
  version?: string;
  /** Default `{ kind: "none" }`. */
  exporter?: TraceExporterOption;
  /**
   * Fraction of new traces sampled, 0..1; a remote parent's decision is kept. Default 1 with an
   * exporter, 0 without one: spans nobody exports are not recorded (their trace context is still
   * created and propagated, so events and logs keep their trace ids).
   */
  sampleRatio?: number;
  resourceAttributes?: Attributes;
}

export interface Telemetry {
  /** A tracer named after the service. */
  readonly tracer: Tracer;
  /** The service's resource (service name, version, extra attributes) that exported spans carry. */
  readonly resource: Resource;
  /**
   * The SDK's span pipeline (sampling already decided, export as configured). For spans recorded
   * outside this SDK that must be exported with the service's own, e.g. Temporal workflow spans,
   * which are recorded in the workflow sandbox and handed over through a sink (see `./temporal.ts`).
   */
  readonly spanProcessor: SpanProcessor;
  /** Exports pending spans. */
  forceFlush(): Promise<void>;
  /**
   * Flushes and stops the SDK and unregisters the global tracer, context manager and propagator.
   * Rejects when the final export fails (e.g. the collector is down); the globals are gone anyway.
   */
  shutdown(): Promise<void>;
}

/**
 * Starts the OpenTelemetry Node SDK: a tracer provider, the AsyncLocalStorage context manager and the
 * W3C trace-context (+ baggage) propagator, registered globally. Call it once, before the rest of the
 * service is imported (see README: `main.ts` imports `./telemetry.ts` first).
 */
export function initTelemetry(options: TelemetryOptions): Telemetry {
  const exporter = options.exporter ?? { kind: "none" };
  const processors = spanProcessorsFor(exporter);
  const ratio = options.sampleRatio ?? (exporter.kind === "none" ? 0 : 1);
  const root =
    ratio >= 1
      ? new AlwaysOnSampler()
      : ratio <= 0
        ? new AlwaysOffSampler()
        : new TraceIdRatioBasedSampler(ratio);
  const resource = defaultResource().merge(
    resourceFromAttributes({
      [ATTR_SERVICE_NAME]: options.service,
      ...(options.version === undefined ? {} : { [ATTR_SERVICE_VERSION]: options.version }),
      ...options.resourceAttributes,
    }),
  );
  const sdk = new NodeSDK({
    serviceName: options.service,
    resource,
    autoDetectResources: false,
    contextManager: new AsyncLocalStorageContextManager(),
    textMapPropagator: new CompositePropagator({
      propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
    }),
    sampler: new ParentBasedSampler({ root }),
    spanProcessors: processors,
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [],
  });
  sdk.start();
  return {
    tracer: trace.getTracer(options.service, options.version),
    resource,
    spanProcessor: fanOut(processors),
    forceFlush: async () => {
      await Promise.all(processors.map((processor) => processor.forceFlush()));
    },
    shutdown: async () => {
      try {
        await sdk.shutdown();
      } finally {
        trace.disable();
        propagation.disable();
        context.disable();
      }
    },
  };
}

/** One processor that hands every call to all of `processors`. */
function fanOut(processors: readonly SpanProcessor[]): SpanProcessor {
  return {
    onStart: (span, parentContext) => {
      for (const processor of processors) processor.onStart(span, parentContext);
    },
    onEnd: (span) => {
      for (const processor of processors) processor.onEnd(span);
    },
    forceFlush: async () => {
      await Promise.all(processors.map((processor) => processor.forceFlush()));
    },
    shutdown: async () => {
      await Promise.all(processors.map((processor) => processor.shutdown()));
    },
  };
}

function spanProcessorsFor(exporter: TraceExporterOption): SpanProcessor[] {
  switch (exporter.kind) {
    case "none":
      return [new NoopSpanProcessor()];
    case "otlp":
      return [
        new BatchSpanProcessor({
          exporter: new OTLPTraceExporter({
            ...(exporter.url === undefined ? {} : { url: `${exporter.url.replace(/\/+$/, "")}/v1/traces` }),
            ...(exporter.headers === undefined ? {} : { headers: exporter.headers }),
          }),
        }),
      ];
    case "console":
      return [new SimpleSpanProcessor({ exporter: new ConsoleSpanExporter() })];
    case "memory":
      return [new SimpleSpanProcessor({ exporter: exporter.exporter })];
  }
}

export interface TestTelemetry extends Telemetry {
  readonly exporter: InMemorySpanExporter;
  /** Finished spans so far. */
  spans(): ReadableSpan[];
  /** Finished spans with this name. */
  spansNamed(name: string): ReadableSpan[];
  /** Forgets finished spans. */
  reset(): void;
}

/** {@link initTelemetry} with an in-memory exporter, for tests. Shut it down in `afterEach`/`afterAll`. */
export function createTestTelemetry(service = "test"): TestTelemetry {
  const exporter = new InMemorySpanExporter();
  const telemetry = initTelemetry({ service, exporter: { kind: "memory", exporter } });
  return {
    ...telemetry,
    exporter,
    spans: () => exporter.getFinishedSpans(),
    spansNamed: (name) => exporter.getFinishedSpans().filter((span) => span.name === name),
    reset: () => exporter.reset(),
  };
}

/**
 * Maps the shared service keys (`OTEL_TRACES_EXPORTER`, `OTEL_EXPORTER_OTLP_ENDPOINT`, see
 * `serviceKeys` in @warden/config) to an exporter option.
 */
export function traceExporterFrom(config: {
  OTEL_TRACES_EXPORTER: "none" | "otlp" | "console";
  OTEL_EXPORTER_OTLP_ENDPOINT?: string | undefined;
}): TraceExporterOption {
  switch (config.OTEL_TRACES_EXPORTER) {
    case "none":
      return { kind: "none" };
    case "console":
      return { kind: "console" };
    case "otlp":
      return { kind: "otlp", url: config.OTEL_EXPORTER_OTLP_ENDPOINT };
  }
}
