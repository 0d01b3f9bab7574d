import { describe, expect, it } from "vitest";
import { newMapping } from "../esm";
import { Poller, type PollerHost } from "./poller";

/** A poller whose one poll waits for the test to let it finish. */
class GatedPoller extends Poller {
  polls = 0;
  private release?: () => void;
  constructor(...args: ConstructorParameters<typeof Poller>) {
    super(...args);
    this.start(1);
  }
  protected pollOnce(): Promise<void> {
    this.polls++;
    return new Promise((r) => (this.release = r));
  }
  finishPoll(): void {
    this.release?.();
  }
}

const host: PollerHost = { gatewayEndpoint: "http://127.0.0.1:1", invoke: async () => ({ kind: "missing", message: "" }), log: () => {}, idlePollMs: 10, retryBackoffMs: 10 };
const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("Poller.state", () => {
  it("says Disabling while a poll begun before the update is under way, and Disabled once it ends", async () => {
    const m = newMapping("us-east-1", "123456789012", { EventSourceArn: "arn:aws:sqs:us-east-1:123456789012:q", FunctionName: "f" }, "arn:aws:lambda:us-east-1:123456789012:function:f");
    const p = new GatedPoller(m, host);
    try {
      await tick(5);
      expect(p.polls).toBe(1);
      expect(p.state()).toBe("Enabled");
      m.Enabled = false;
      expect(p.state()).toBe("Disabling");
      p.finishPoll();
      await tick(5);
      expect(p.state()).toBe("Disabled");
      await tick(250); // a disabled mapping does not poll again
      expect(p.polls).toBe(1);
    } finally {
      p.finishPoll();
      await p.stop();
    }
  });
});
