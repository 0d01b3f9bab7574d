import { describe, expect, it } from "vitest";
import { s3Store } from "./store";

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
