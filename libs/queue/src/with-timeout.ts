/**
 * `promise`, or a rejection ("no answer within `ms` ms") if it has not settled by then: how a call to Redis
 * (a ping, a connection, a QUIT) is kept from holding its caller longer than it may wait. The timer does not
 * keep the process alive, and is cleared once the promise settles.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      timer.unref();
    }),
  ]);
}
