// Where the scheduled reconcile keeps a pass between invocations: its checkpoint and the users each
// work unit listed, as objects in the reconcile bucket (DR region, SSE-KMS with the table's key).
// Keys are known from the checkpoint, so nothing lists the bucket; a missing object reads as
// undefined (S3 answers NoSuchKey only to a caller with s3:ListBucket, 403 otherwise: the role has
// it, on this prefix only).
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";

export interface ObjectStore {
  get(key: string): Promise<string | undefined>;
  put(key: string, body: string): Promise<void>;
  delete(key: string): Promise<void>;
}

export function s3Store(s3: Pick<S3Client, "send">, bucket: string): ObjectStore {
  return {
    async get(key) {
      try {
        const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return await out.Body?.transformToString("utf-8");
      } catch (err) {
        // NoSuchKey, or any 404 of GetObject whose error body did not parse into a code (the
        // checkpoint's first read in the deployed function met one): with s3:ListBucket, a missing
        // object is the 404 GetObject answers. Anything else (403, 5xx) is thrown.
        const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
        if (e.name === "NoSuchKey" || e.$metadata?.httpStatusCode === 404) return undefined;
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
  return {
    objects,
    get: async (key) => objects.get(key),
    put: async (key, body) => void objects.set(key, body),
    delete: async (key) => void objects.delete(key),
  };
}
