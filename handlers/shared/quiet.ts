// Logging and metrics must never decide whether a user is staged or a sign-up fails: code on
// Cognito's synchronous path talks to them through `quiet()`, which swallows what they throw.

/** The same object, except that its methods never throw (they return undefined instead). */
export function quiet<T extends object>(target: T): T {
  return new Proxy(target, {
    get(t, property, receiver) {
      const value: unknown = Reflect.get(t, property, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        try {
          return (value as (...a: unknown[]) => unknown).apply(t, args);
        } /* Stryker disable next-line BlockStatement: equivalent, an empty catch returns undefined too */ catch {
          return undefined;
        }
      };
    },
  });
}

/** `make()`, or `fallback` when it throws. */
export function orElse<T>(make: () => T, fallback: T): T {
  try {
    return make();
  } catch {
    return fallback;
  }
}
