import type { DependencyList } from "react";
import { useCallback, useEffect, useState } from "react";

export type Load<T> =
  | { readonly state: "loading" }
  | { readonly state: "error"; readonly error: unknown }
  | { readonly state: "ready"; readonly data: T };

/** Loads data when the dependencies change; `reload` fetches again keeping what is shown. */
export function useLoad<T>(load: () => Promise<T>, deps: DependencyList): [Load<T>, () => void] {
  const [result, setResult] = useState<Load<T>>({ state: "loading" });
  const [round, setRound] = useState(0);
  const run = useCallback(load, deps);
  useEffect(() => {
    let current = true;
    if (round === 0) setResult({ state: "loading" });
    run().then(
      (data) => current && setResult({ state: "ready", data }),
      (error: unknown) => current && setResult({ state: "error", error }),
    );
    return () => {
      current = false;
    };
  }, [run, round]);
  useEffect(() => setRound(0), [run]);
  return [result, () => setRound((n) => n + 1)];
}
