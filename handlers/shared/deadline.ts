// A hard upper bound on one SDK call including its retries. Client timeouts bound
// each attempt; this bounds the sum, and aborts the in-flight request when it fires.
export class DeadlineExceededError extends Error {
  override readonly name = "TimeoutError";
  constructor(readonly budgetMs: number) {
    super(`no answer within ${budgetMs} ms`);
  }
}

export async function withDeadline<T>(budgetMs: number, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new DeadlineExceededError(budgetMs);
      controller.abort(err);
      reject(err);
    }, budgetMs);
  });
  try {
    return await Promise.race([call(controller.signal), expired]);
  } finally {
    clearTimeout(timer);
  }
}
