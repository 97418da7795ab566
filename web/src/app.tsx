import { useCallback, useEffect, useState } from "react";
import type { ReactNode } from "react";
import { api, ApiError, must, tokenStore } from "./api";
import { DiffPage } from "./pages/diff-page";
import { BuildPage, BuildsPage } from "./pages/builds-pages";
import { EnvironmentPage } from "./pages/environment-page";
import { EnvironmentsPage } from "./pages/environments-page";
import { JobPage, JobsPage } from "./pages/jobs-pages";
import { SignInPage } from "./pages/sign-in-page";
import { TokensPage } from "./pages/tokens-page";
import { VersionPage } from "./pages/version-page";
import { WorkspacesPage } from "./pages/workspaces-page";
import { ErrorState, Loading, NotFound, Unauthorized } from "./parts/states";
import type { Params } from "./router";
import { Link, match, navigate, path, useLocation } from "./router";
import type { Session } from "./session";
import { SessionContext, viewOf } from "./session";

type Start =
  | { readonly state: "loading" }
  | { readonly state: "sign-in"; readonly refused?: string }
  | { readonly state: "refused"; readonly detail: string }
  | { readonly state: "error"; readonly error: unknown }
  | { readonly state: "ready"; readonly session: Session };

const PAGES: readonly { pattern: string; page: (p: Params) => ReactNode; nav?: string }[] = [
  { pattern: "/workspaces", page: () => <WorkspacesPage />, nav: "workspaces" },
  { pattern: "/w/:workspace/environments", page: () => <EnvironmentsPage />, nav: "environments" },
  {
    pattern: "/w/:workspace/environments/:name",
    page: (p) => <EnvironmentPage name={p.name ?? ""} />,
    nav: "environments",
  },
  {
    pattern: "/w/:workspace/environments/:name/versions/:version",
    page: (p) => <VersionPage name={p.name ?? ""} version={p.version ?? ""} />,
    nav: "environments",
  },
  {
    pattern: "/w/:workspace/environments/:name/diff/:from/:to",
    page: (p) => <DiffPage name={p.name ?? ""} from={p.from ?? ""} to={p.to ?? ""} />,
    nav: "environments",
  },
  { pattern: "/w/:workspace/builds", page: () => <BuildsPage />, nav: "builds" },
  {
    pattern: "/w/:workspace/builds/:id",
    page: (p) => <BuildPage id={p.id ?? ""} />,
    nav: "builds",
  },
  { pattern: "/w/:workspace/jobs", page: () => <JobsPage />, nav: "jobs" },
  { pattern: "/w/:workspace/jobs/:id", page: (p) => <JobPage id={p.id ?? ""} />, nav: "jobs" },
  { pattern: "/w/:workspace/tokens", page: () => <TokensPage />, nav: "tokens" },
];

export function App() {
  const { pathname } = useLocation();
  const [start, setStart] = useState<Start>({ state: "loading" });

  const check = useCallback(async () => {
    const session = await must(api.GET("/v1/session"));
    setStart({ state: "ready", session });
  }, []);

  useEffect(() => {
    check().catch((error: unknown) => {
      if (error instanceof ApiError && error.status === 401) {
        setStart(
          tokenStore.get() === null
            ? { state: "sign-in" }
            : { state: "refused", detail: error.message },
        );
      } else {
        setStart({ state: "error", error });
      }
    });
  }, [check]);

  const signOut = () => {
    tokenStore.clear();
    setStart({ state: "sign-in" });
    navigate("/sign-in");
  };

  // The sign-in page is always reachable (a 401 page links to it), whatever the state.
  if (pathname === "/sign-in" || start.state === "sign-in") {
    return (
      <SignInPage
        {...(start.state === "sign-in" && start.refused !== undefined
          ? { refused: start.refused }
          : {})}
        onSignedIn={async () => {
          await check();
          navigate("/", { replace: true });
        }}
      />
    );
  }
  if (start.state === "loading") return <Loading what="envforge" />;
  if (start.state === "error") {
    return <ErrorState error={start.error} retry={() => location.reload()} />;
  }
  if (start.state === "refused") {
    return (
      <main id="main">
        <Unauthorized detail={`The server refused the API token: ${start.detail}`} />
      </main>
    );
  }

  const session = start.session;
  const home = path("w", session.token?.workspace ?? "default", "environments");
  if (pathname === "/") {
    queueMicrotask(() => navigate(home, { replace: true }));
    return <Loading what="environments" />;
  }
  const found = PAGES.map((entry) => ({ entry, params: match(entry.pattern, pathname) })).find(
    (candidate) => candidate.params !== undefined,
  );
  const workspace = found?.params?.workspace ?? session.token?.workspace ?? "default";
  const view = viewOf(session, workspace, signOut);

  return (
    <SessionContext.Provider value={view}>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <Link to={home} className="brand">
          envforge
        </Link>
        <nav aria-label="Main">
          <NavLink
            to={path("w", workspace, "environments")}
            active={found?.entry.nav === "environments"}
          >
            Environments
          </NavLink>
          <NavLink to={path("w", workspace, "builds")} active={found?.entry.nav === "builds"}>
            Builds
          </NavLink>
          <NavLink to={path("w", workspace, "jobs")} active={found?.entry.nav === "jobs"}>
            Jobs
          </NavLink>
          {view.canAdmin ? (
            <NavLink to={path("w", workspace, "tokens")} active={found?.entry.nav === "tokens"}>
              Tokens
            </NavLink>
          ) : null}
          <NavLink to="/workspaces" active={found?.entry.nav === "workspaces"}>
            Workspaces
          </NavLink>
        </nav>
        <div className="who">
          <span className="badge workspace" title="workspace">
            {workspace}
          </span>
          {session.auth ? (
            <>
              <span className="muted small" data-testid="scopes">
                {session.token?.scopes.join(", ")}
              </span>
              <button type="button" onClick={signOut}>
                Sign out
              </button>
            </>
          ) : null}
        </div>
      </header>
      {session.auth ? null : (
        <div className="banner" role="note">
          This server runs without authentication on a loopback address: anyone on this machine can
          read and change this workspace.
        </div>
      )}
      <main id="main" tabIndex={-1}>
        {found === undefined ? (
          <NotFound />
        ) : (
          <div key={pathname}>{found.entry.page(found.params ?? {})}</div>
        )}
      </main>
    </SessionContext.Provider>
  );
}

function NavLink(props: { to: string; active: boolean; children: ReactNode }) {
  return (
    <Link
      to={props.to}
      className={props.active ? "active" : ""}
      {...(props.active ? { "aria-current": "page" as const } : {})}
    >
      {props.children}
    </Link>
  );
}
