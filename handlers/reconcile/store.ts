// Where the scheduled reconcile keeps a pass between invocations: its checkpoint and the users each
// work unit listed, as objects in the reconcile bucket (DR region, SSE-KMS with the table's key).
// Keys are known from the checkpoint, so nothing lists the bucket; a missing object reads as
// undefined (S3 answers NoSuchKey only to a caller with s3:ListBucket, 403 otherwise: the role has
// it, on this prefix only).
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";

export interface ObjectStore {
  get(key: string): Promise<string | undefined>;
  /** The object and its version (S3: its ETag), for a later `putIf`. */
  getVersioned(key: string): Promise<{ body: string; version: string } | undefined>;
  /**
   * Writes only if the object is still at `expected` (undefined: only if there is none) and returns
   * the new version; throws StoreConflict if another writer got there first (S3 conditional writes:
   * PutObject with If-Match / If-None-Match).
   */
  putIf(key: string, body: string, expected: string | undefined): Promise<string>;
  put(key: string, body: string): Promise<void>;
  delete(key: string): Promise<void>;
}

/** The object changed since it was read: another invocation is at work on it. */
export class StoreConflict extends Error {
  override readonly name = "StoreConflict";
}

export function s3Store(s3: Pick<S3Client, "send">, bucket: string): ObjectStore {
  const getVersioned = async (key: string): Promise<{ body: string; version: string } | undefined> => {
    try {
      const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return { body: (await out.Body?.transformToString("utf-8")) ?? "", version: out.ETag ?? "" };
    } catch (err) {
        // NoSuchKey, or any 404 of GetObject whose error body did not parse into a code (the
        // checkpoint's first read in the deployed function met one): with s3:ListBucket, a missing
        // object is the 404 GetObject answers. Anything else (403, 5xx) is thrown.
      const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (e.name === "NoSuchKey" || e.$metadata?.httpStatusCode === 404) return undefined;
      throw err;
    }
  };
  return {
    getVersioned,
    get: async (key) => (await getVersioned(key))?.body,
    async putIf(key, body, expected) {
      try {
        const condition = expected === undefined ? { IfNoneMatch: "*" } : { IfMatch: expected };
        const out = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: "application/json", ...condition }));
        return out.ETag ?? "";
      } catch (err) {
        // 412 PreconditionFailed: changed (or created) since read; 409 ConditionalRequestConflict:
        // a concurrent write to the same key (S3 User Guide, "Conditional writes").
        const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        if (status === 412 || status === 409) throw new StoreConflict(`${key} changed since it was read (HTTP ${status})`);
        throw err;
      }
    },
    async put(key, body) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: "application/json" }));
    },
    async delete(key) {
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    },
  };
}

/** An in-memory store (tests, and what a run without a bucket would keep: nothing across invocations). */
export function memoryStore(objects = new Map<string, string>()): ObjectStore & { objects: Map<string, string> } {
  // A body's version is the body itself: equal content, equal version, as an ETag.
  return {
    objects,
    get: async (key) => objects.get(key),
    getVersioned: async (key) => {
      const body = objects.get(key);
      return body === undefined ? undefined : { body, version: body };
    },
    putIf: async (key, body, expected) => {
      if (objects.get(key) !== expected) throw new StoreConflict(`${key} changed since it was read`);
      objects.set(key, body);
      return body;
    },
    put: async (key, body) => void objects.set(key, body),
    delete: async (key) => void objects.delete(key),
  };
}
