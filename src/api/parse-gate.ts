/**
 * One definition parse at a time, each after a turn of the event loop. A parse is synchronous
 * and bounded (docs/limits.md), but ten uploads arriving together would otherwise run back to
 * back in one turn and hold `/healthz` and every other request behind all ten; through the gate
 * other requests wait for at most one parse.
 */
export type ParseGate = <T>(work: () => T | Promise<T>) => Promise<T>;

export function createParseGate(): ParseGate {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(work: () => T | Promise<T>): Promise<T> => {
    const run = tail.then(
      () =>
        new Promise<T>((resolve, reject) => {
          // setImmediate: after the I/O already waiting (a /healthz request) has been served.
          setImmediate(() => {
            try {
              resolve(work());
            } catch (error) {
              reject(error instanceof Error ? error : new Error(String(error)));
            }
          });
        }),
    );
    tail = run.catch(() => undefined);
    return run;
  };
}
