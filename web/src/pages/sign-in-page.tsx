import { useState } from "react";
import { ApiError, tokenStore } from "../api";

/** Asks for an API token; it is kept in this tab's session storage only, never in a URL. */
export function SignInPage(props: { onSignedIn: () => Promise<void>; refused?: string }) {
  const [token, setToken] = useState("");
  const [problem, setProblem] = useState<string | undefined>(props.refused);
  const [busy, setBusy] = useState(false);
  return (
    <main className="sign-in" id="main">
      <form
        aria-labelledby="sign-in-title"
        onSubmit={(event) => {
          event.preventDefault();
          setBusy(true);
          tokenStore.set(token.trim());
          props.onSignedIn().catch((error: unknown) => {
            tokenStore.clear();
            setProblem(
              error instanceof ApiError && error.status === 401
                ? `The server refused this token: ${error.message}`
                : error instanceof Error
                  ? error.message
                  : String(error),
            );
            setBusy(false);
          });
        }}
      >
        <h1 id="sign-in-title">
          <span className="brand">envforge</span> Sign in
        </h1>
        <p>
          This server needs an API token. Create one with <code>envforge token create</code>.
        </p>
        <label htmlFor="token">API token</label>
        <input
          id="token"
          type="password"
          autoComplete="off"
          spellCheck={false}
          placeholder="efk_…"
          required
          value={token}
          onChange={(event) => setToken(event.target.value)}
        />
        {problem === undefined ? null : (
          <p className="form-error" role="alert">
            {problem}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Checking…" : "Sign in"}
        </button>
        <p className="muted small">
          The token is kept in this browser tab only and forgotten when it closes.
        </p>
      </form>
    </main>
  );
}
