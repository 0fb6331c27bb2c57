// The in-memory RecordPublisher and RecordFeed against their contracts;
// test/record-stream-contract.test.ts runs the same suites against the NATS adapters.
import { describeAccessLogContract } from "../../testing/access-log-contract.ts";
import {
  describeRecordFeedContract,
  describeRecordPublisherContract,
} from "../../testing/record-publisher-contract.ts";
import { InMemoryAccessLog, InMemoryRecordFeed, InMemoryRecordPublisher } from "./in-memory-ports.ts";

describeRecordPublisherContract("InMemoryRecordPublisher", () => {
  const publisher = new InMemoryRecordPublisher();
  return Promise.resolve({
    publisher,
    stored: () =>
      Promise.resolve({ records: [...publisher.records], checkpoints: [...publisher.checkpoints] }),
  });
});

describeRecordFeedContract("InMemoryRecordFeed", () => {
  const feed = new InMemoryRecordFeed();
  return Promise.resolve({
    feed,
    publish: (records) => {
      for (const r of records) feed.push(r);
      return Promise.resolve();
    },
  });
});

describeAccessLogContract("InMemoryAccessLog", () => {
  const log = new InMemoryAccessLog();
  return Promise.resolve({
    log,
    recorded: () =>
      Promise.resolve(
        log.accesses.map(({ method, reader, scope, filter, page, range }) => ({
          method,
          readerId: reader.id,
          scope,
          ...(filter === undefined ? {} : { filter }),
          ...(page === undefined ? {} : { page }),
          ...(range === undefined ? {} : { range }),
        })),
      ),
    breakIt: () => {
      log.down = true;
      return Promise.resolve();
    },
  });
});
