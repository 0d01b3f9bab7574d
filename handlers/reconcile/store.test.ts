import { describe, expect, it } from "vitest";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { s3Store, StoreConflict } from "./store";

const failing = (err: object) => ({ send: async () => Promise.reject(Object.assign(new Error("s3 said no"), err)) }) as never;

describe("s3Store.get", () => {
  it("reads a missing object as undefined: NoSuchKey, or a 404 whose body gave no code", async () => {
    await expect(s3Store(failing({ name: "NoSuchKey", $metadata: { httpStatusCode: 404 } }), "b").get("k")).resolves.toBeUndefined();
    await expect(s3Store(failing({ name: "UnknownError", $metadata: { httpStatusCode: 404 } }), "b").get("k")).resolves.toBeUndefined();
  });

  it("throws anything else: a refusal or a server error must not read as 'no checkpoint' (which would start a new pass)", async () => {
    await expect(s3Store(failing({ name: "AccessDenied", $metadata: { httpStatusCode: 403 } }), "b").get("k")).rejects.toThrow("s3 said no");
    await expect(s3Store(failing({ name: "InternalError", $metadata: { httpStatusCode: 500 } }), "b").get("k")).rejects.toThrow("s3 said no");
  });
});

describe("s3Store.putIf", () => {
  it("writes with If-None-Match: * when nothing was read, If-Match on the version read otherwise, and returns the new ETag", async () => {
    const sent: unknown[] = [];
    const s3 = { send: async (cmd: PutObjectCommand) => (sent.push(cmd.input), { ETag: '"v2"' }) } as never;
    await expect(s3Store(s3, "b").putIf("k", "{}", undefined)).resolves.toBe('"v2"');
    await expect(s3Store(s3, "b").putIf("k", "{}", '"v1"')).resolves.toBe('"v2"');
    expect(sent).toEqual([expect.objectContaining({ Bucket: "b", Key: "k", IfNoneMatch: "*" }), expect.objectContaining({ IfMatch: '"v1"' })]);
    expect(sent[0]).not.toHaveProperty("IfMatch");
  });

  it("reads 412 and 409 as another writer's (StoreConflict); other errors are thrown as they are", async () => {
    await expect(s3Store(failing({ name: "PreconditionFailed", $metadata: { httpStatusCode: 412 } }), "b").putIf("k", "{}", '"v1"')).rejects.toThrow(StoreConflict);
    await expect(s3Store(failing({ name: "ConditionalRequestConflict", $metadata: { httpStatusCode: 409 } }), "b").putIf("k", "{}", undefined)).rejects.toThrow(StoreConflict);
    await expect(s3Store(failing({ name: "AccessDenied", $metadata: { httpStatusCode: 403 } }), "b").putIf("k", "{}", undefined)).rejects.toThrow("s3 said no");
  });
});
