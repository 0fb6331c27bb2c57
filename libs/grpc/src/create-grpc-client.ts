import { ChannelCredentials, createChannel, createClientFactory, Metadata } from "nice-grpc";
import type { ChannelOptions, Client, CompatServiceDefinition } from "nice-grpc";
import type { CallOptions, ClientMiddleware, ClientMiddlewareCall } from "nice-grpc-common";
import { openTelemetryClientMiddleware } from "nice-grpc-opentelemetry";

/** A bearer token, or a function returning the current one (called per call, so tokens can rotate). */
export type TokenSource = string | (() => string | Promise<string>);

export type GrpcClientOptions = {
  token?: TokenSource;
  /** Start a client span and inject W3C `traceparent` into metadata. Default true. */
  traceContext?: boolean;
  /**
   * Transport security. `false` (the default): plaintext, for servers run with GRPC_INSECURE=true.
   * `true`: TLS trusting the system's CAs. A `ClientTls`: TLS trusting `ca` (PEM), with a client
   * certificate for mutual TLS and an optional expected server name (`clientTlsFromFiles` reads them).
   */
  tls?: boolean | ClientTls;
  channelOptions?: ChannelOptions;
};

/** TLS for a client: PEM contents (see `clientTlsFromFiles`). */
export type ClientTls = {
  /** CA certificate(s) the server's certificate must chain to; default the system's CAs. */
  ca?: Buffer | undefined;
  /** Client certificate and key, for servers that require mutual TLS (both or neither). */
  cert?: Buffer | undefined;
  key?: Buffer | undefined;
  /** The name the server's certificate must carry, when it differs from the address's host. */
  serverName?: string | undefined;
};

function channelCredentials(tls: boolean | ClientTls | undefined): ChannelCredentials {
  if (tls === undefined || tls === false) return ChannelCredentials.createInsecure();
  if (tls === true) return ChannelCredentials.createSsl();
  if ((tls.cert === undefined) !== (tls.key === undefined)) {
    throw new Error("grpc client tls: cert and key go together (both or neither)");
  }
  return ChannelCredentials.createSsl(tls.ca ?? null, tls.key ?? null, tls.cert ?? null);
}

function tlsChannelOptions(tls: boolean | ClientTls | undefined): ChannelOptions {
  if (typeof tls !== "object" || tls.serverName === undefined) return {};
  return { "grpc.ssl_target_name_override": tls.serverName, "grpc.default_authority": tls.serverName };
}

export type GrpcClient<Service extends CompatServiceDefinition> = {
  client: Client<Service>;
  close(): void;
  [Symbol.dispose](): void;
};

/** Adds `authorization: Bearer <token>` unless the call already carries an authorization header. */
export function bearerTokenMiddleware(token: TokenSource): ClientMiddleware {
  return async function* bearer<Request, Response>(
    call: ClientMiddlewareCall<Request, Response>,
    options: CallOptions,
  ): AsyncGenerator<Response, Response | void, undefined> {
    const metadata = Metadata(options.metadata);
    if (!metadata.has("authorization")) {
      metadata.set("authorization", `Bearer ${typeof token === "string" ? token : await token()}`);
    }
    return yield* call.next(call.request, { ...options, metadata });
  };
}

/** A typed client for `definition` at `address` (`host:port`), with bearer token and trace context middleware. */
export function createGrpcClient<Service extends CompatServiceDefinition>(
  definition: Service,
  address: string,
  options: GrpcClientOptions = {},
): GrpcClient<Service> {
  const channel = createChannel(address, channelCredentials(options.tls), {
    ...tlsChannelOptions(options.tls),
    ...options.channelOptions,
  });
  // nice-grpc runs client middleware in reverse order of `use`: the last attached runs first.
  let factory = createClientFactory();
  if (options.token !== undefined) factory = factory.use(bearerTokenMiddleware(options.token));
  if (options.traceContext ?? true) factory = factory.use(openTelemetryClientMiddleware());
  const client = factory.create(definition, channel);
  const close = (): void => channel.close();
  return { client, close, [Symbol.dispose]: close };
}
