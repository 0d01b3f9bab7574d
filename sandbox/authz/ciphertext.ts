// Which key a symmetric ciphertext was encrypted under. KMS API reference, Decrypt: "If the
// ciphertext was encrypted under a symmetric encryption KMS key, the KeyId parameter is optional.
// AWS KMS can get this information from metadata that it adds to the symmetric ciphertext blob."
// So a Decrypt without KeyId is authorized on the key the blob names. AWS's blob format is not
// public; moto's is (moto/kms/utils.py, `_serialize_ciphertext_blob`): the key id as 36 ASCII
// bytes, then the IV, the tag and the ciphertext. The sandbox reads that.

const KEY_ID_LEN = 36;
const KEY_ID = /^(?:mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/** The key id inside a moto ciphertext blob (base64, as the JSON protocol carries it), or undefined. */
export function keyIdOfCiphertext(blobBase64: unknown): string | undefined {
  if (typeof blobBase64 !== "string") return undefined;
  const id = Buffer.from(blobBase64, "base64").subarray(0, KEY_ID_LEN).toString("latin1");
  return KEY_ID.test(id) ? id : undefined;
}
