// gRPC AuditService: Query, Verify, Export, Tail. Authentication comes from the server's auth
// middleware; scoping and recording each read happen in the use case (app/audit-reader.ts).
import { auditV1 } from "@warden/contracts";
import type { GrpcServiceRegistration, WardenCallContext } from "@warden/grpc";
import { grpcService, InvalidArgumentError } from "@warden/grpc";
import type { Reader } from "../../app/access-scope.ts";
import type { AuditReader } from "../../app/audit-reader.ts";
import {
  afterSeqFromToken,
  filterFromWire,
  pageSizeFromWire,
  pageTokenFor,
  recordToWire,
  verifyResultToWire,
} from "./audit-wire.ts";
import { teamOf } from "./team-claim-verifier.ts";

function readerOf(context: WardenCallContext): Reader {
  const p = context.principal;
  return { id: p.id, type: p.type, name: p.name, roles: p.roles, team: teamOf(p) };
}

export function auditGrpcService(reader: AuditReader): GrpcServiceRegistration {
  return grpcService(auditV1.AuditServiceDefinition, {
    async query(request, context) {
      const page = await reader.query(readerOf(context), filterFromWire(request.filter), {
        size: pageSizeFromWire(request.pageSize),
        afterSeq: afterSeqFromToken(request.pageToken),
      });
      context.annotate({ records: page.items.length });
      return { records: page.items.map(recordToWire), nextPageToken: pageTokenFor(page.nextAfterSeq) };
    },

    async verify(request, context) {
      if (request.toSeq !== 0 && request.toSeq < request.fromSeq) {
        throw new InvalidArgumentError("to_seq", "must be 0 (the latest) or ≥ from_seq");
      }
      const result = await reader.verify(readerOf(context), {
        ...(request.fromSeq !== 0 && { fromSeq: request.fromSeq }),
        ...(request.toSeq !== 0 && { toSeq: request.toSeq }),
      });
      context.annotate({ ok: result.ok, recordsChecked: result.count });
      return verifyResultToWire(result);
    },

    async *export(request, context) {
      const records = await reader.export(readerOf(context), filterFromWire(request.filter));
      for await (const record of records) {
        context.signal.throwIfAborted();
        yield { record: recordToWire(record) };
      }
    },

    async *tail(request, context) {
      context.abortOnTerminate();
      const { types } = filterFromWire(auditV1.AuditFilter.fromPartial({ types: request.types }), "request");
      for await (const record of reader.tail(
        readerOf(context),
        { afterSeq: request.afterSeq, types },
        context.signal,
      )) {
        yield { record: recordToWire(record) };
      }
    },
  });
}
