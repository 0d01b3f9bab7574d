import { ConditionalCheckFailedException, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { expect, it } from "vitest";
import { userRecord } from "../../test/support/events";
import { withDeadline } from "../shared/deadline";
import { putRecord } from "./table";

type Ddb = Pick<DynamoDBClient, "send">;

it("a put still in flight when the deadline fires is aborted", async () => {
  let seen: AbortSignal | undefined;
  const hanging = {
    send: (_command: unknown, options?: { abortSignal?: AbortSignal }) =>
      new Promise((_resolve, reject) => {
        seen = options?.abortSignal;
        seen?.addEventListener("abort", () => reject(seen?.reason));
      }),
  } as unknown as Ddb;
  await expect(withDeadline(5, (abortSignal) => putRecord(hanging, "users", userRecord(), { abortSignal }))).rejects.toMatchObject({ name: "TimeoutError" });
  expect(seen?.aborted).toBe(true);
});

it("a newer record in the table is an outcome, other failures are thrown", async () => {
  const failing = (err: Error) => ({ send: async () => Promise.reject(err) }) as unknown as Ddb;
  await expect(putRecord(failing(new ConditionalCheckFailedException({ message: "cond", $metadata: {} })), "users", userRecord())).resolves.toBe("already-newer");
  const other = new Error("boom");
  await expect(putRecord(failing(other), "users", userRecord())).rejects.toBe(other);
  await expect(putRecord({ send: async () => ({}) } as unknown as Ddb, "users", userRecord())).resolves.toBe("written");
});
