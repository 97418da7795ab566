/** Loading, empty and error states every page uses, so none is ever a blank screen. */
import type { ReactNode } from "react";
import { ApiError } from "../api";
import { Link } from "../router";
import type { Load } from "./use-load";

export function Loading({ what }: { what: string }) {
  return (
    <div className="state" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> Loading {what}…
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state empty">
      <strong>{title}</strong>
      {children === undefined ? null : <div>{children}</div>}
    </div>
  );
}

export function ErrorState({ error, retry }: { error: unknown; retry?: () => void }) {
  if (error instanceof ApiError && error.status === 404) {
    return <NotFound detail={error.message} />;
  }
  if (error instanceof ApiError && error.status === 401) {
    return <Unauthorized detail={error.message} />;
  }
  const message = error instanceof Error ? error.message : String(error);
  const status = error instanceof ApiError ? ` (${error.status})` : "";
  return (
    <div className="state error" role="alert">
      <strong>Could not load this{status}</strong>
      <p>{message}</p>
      {retry === undefined ? null : (
        <button type="button" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function NotFound({ detail }: { detail?: string }) {
  return (
    <section className="full-page" aria-labelledby="not-found-title">
      <p className="code">404</p>
      <h1 id="not-found-title">Not found</h1>
      <p>{detail ?? "There is no page at this address."}</p>
      <Link to="/">Go to environments</Link>
    </section>
  );
}

export function Unauthorized({ detail }: { detail?: string }) {
  return (
    <section className="full-page" aria-labelledby="unauthorized-title">
      <p className="code">401</p>
      <h1 id="unauthorized-title">Sign in needed</h1>
      <p>{detail ?? "The server refused the API token."}</p>
      <Link to="/sign-in">Sign in with an API token</Link>
    </section>
  );
}

/** Renders a Load: its loading, error, or (through `children`) ready state. */
export function Loaded<T>(props: {
  load: Load<T>;
  what: string;
  retry?: () => void;
  children: (data: T) => ReactNode;
}) {
  if (props.load.state === "loading") return <Loading what={props.what} />;
  if (props.load.state === "error") {
    return <ErrorState error={props.load.error} {...(props.retry ? { retry: props.retry } : {})} />;
  }
  return <>{props.children(props.load.data)}</>;
}

export function StateBadge({ state }: { state: string }) {
  return <span className={`badge state-${state}`}>{state}</span>;
}

export function When({ at }: { at: string | null | undefined }) {
  if (at === null || at === undefined) return <span className="muted">—</span>;
  const date = new Date(at);
  return <time dateTime={at}>{date.toLocaleString()}</time>;
}
