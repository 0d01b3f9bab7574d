// SQS as AWS answers where moto differs: a queue's Policy survives a SetQueueAttributes that does
// not carry one (moto clears it), and redrive policies come back as compact JSON.

import { CreateQueueCommand, GetQueueAttributesCommand, SetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandbox, type Sandbox } from "./index";
import { motoMissing, UNMETERED } from "./test-support";

const skip = motoMissing();

describe.skipIf(!!skip)("SQS queue attributes", { timeout: 60_000 }, () => {
  let sb: Sandbox;
  let sqs: SQSClient;
  beforeAll(async () => {
    sb = await startSandbox({ port: 0, lambda: false, cognitoQuotas: UNMETERED });
    sqs = new SQSClient({ region: "us-east-1", endpoint: sb.endpoint, credentials: { accessKeyId: "sandbox", secretAccessKey: "sandbox" } });
  });
  afterAll(async () => {
    await sb?.stop();
  });

  it("keeps the Policy when another attribute changes, and changes it when one is given", async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "with-policy" }));
    const policy = (sid: string) => JSON.stringify({ Version: "2012-10-17", Statement: [{ Sid: sid, Effect: "Allow", Principal: { Service: "events.amazonaws.com" }, Action: "sqs:SendMessage", Resource: "*" }] });
    const read = async () => (await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["Policy", "VisibilityTimeout"] }))).Attributes ?? {};
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { Policy: policy("First") } }));
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { VisibilityTimeout: "61" } }));
    expect(JSON.parse((await read()).Policy!).Statement[0].Sid).toBe("First");
    expect((await read()).VisibilityTimeout).toBe("61");
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { Policy: policy("Second") } }));
    expect(JSON.parse((await read()).Policy!).Statement[0].Sid).toBe("Second");
  });
});
