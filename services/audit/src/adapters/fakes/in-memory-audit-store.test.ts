// The in-memory fake against the AuditStore contract; test/audit-store-contract.test.ts runs the same
// suite against the Mongo adapter on a real Mongo-wire server.
import { describeAuditStoreContract } from "../../testing/audit-store-contract.ts";
import { createInMemoryAuditStore } from "./in-memory-audit-store.ts";

describeAuditStoreContract("InMemoryAuditStore", () => Promise.resolve(createInMemoryAuditStore()));
