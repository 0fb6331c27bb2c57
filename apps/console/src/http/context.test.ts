import { describe, expect, it } from "vitest";
import { transportCause } from "./context.ts";

describe("transportCause", () => {
  it("keeps grpc-js's last error of an UNAVAILABLE, without the resolution note", () => {
    expect(
      transportCause(
        "No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:42591. Resolution note: ",
      ),
    ).toBe("connect ECONNREFUSED 127.0.0.1:42591");
    expect(transportCause("No connection established. Last error: connect ETIMEDOUT 10.0.0.1:7300")).toBe(
      "connect ETIMEDOUT 10.0.0.1:7300",
    );
  });

  it("leaves any other detail as it is", () => {
    expect(transportCause("connection refused")).toBe("connection refused");
    expect(transportCause("Deadline exceeded after 5.001s")).toBe("Deadline exceeded after 5.001s");
  });
});
