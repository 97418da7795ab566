import { useState } from "react";
import type { Build } from "../api";
import { api, must } from "../api";
import { useFollowLog } from "../parts/follow-log";
import { LogView } from "../parts/log-view";
import { Empty, ErrorState, Loaded, StateBadge, When } from "../parts/states";
import { useLoad } from "../parts/use-load";
import { Link, path } from "../router";
import { useSession } from "../session";

export function BuildsPage() {
  const { workspace } = useSession();
  const [load, reload] = useLoad(
    () => must(api.GET("/v1/workspaces/{workspace}/builds", { params: { path: { workspace } } })),
    [workspace],
  );
  return (
    <>
      <header className="page-head">
        <h1>Builds</h1>
        <div className="toolbar">
          <button type="button" onClick={reload}>
            Refresh
          </button>
        </div>
      </header>
      <Loaded load={load} what="builds" retry={reload}>
        {(page) =>
          page.items.length === 0 ? (
            <Empty title="No builds yet">
              Open a version and press Build, or run <code>envforge env build NAME</code>.
            </Empty>
          ) : (
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Build</th>
                    <th scope="col">Environment</th>
                    <th scope="col">State</th>
                    <th scope="col">Started</th>
                    <th scope="col" className="wide-only">
                      Duration
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {page.items.map((build) => (
                    <tr key={build.id}>
                      <td>
                        <Link to={path("w", workspace, "builds", build.id)} className="mono">
                          {build.id.slice(0, 12)}
                        </Link>
                      </td>
                      <td>
                        {build.name} v{build.version}
                      </td>
                      <td>
                        <StateBadge state={build.state} />
                        {build.cacheHit === true ? <span className="badge">cache hit</span> : null}
                      </td>
                      <td>
                        <When at={build.startedAt ?? build.createdAt} />
                      </td>
                      <td className="wide-only">{duration(build.durationMs)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Loaded>
    </>
  );
}

export function BuildPage({ id }: { id: string }) {
  const { workspace } = useSession();
  const [load, reload] = useLoad(
    () =>
      must(
        api.GET("/v1/workspaces/{workspace}/builds/{id}", { params: { path: { workspace, id } } }),
      ),
    [workspace, id],
  );
  return (
    <Loaded load={load} what={`build ${id}`} retry={reload}>
      {(build) => <BuildView build={build} />}
    </Loaded>
  );
}

const FINAL = new Set(["succeeded", "failed", "canceled"]);

function BuildView({ build: first }: { build: Build }) {
  const { workspace, canWrite } = useSession();
  const url = `/v1/workspaces/${encodeURIComponent(workspace)}/builds/${encodeURIComponent(first.id)}/logs/stream`;
  const followed = useFollowLog<Build>(url, first);
  const build = followed.state ?? first;
  const [cancel, setCancel] = useState<{ busy: boolean; error?: unknown }>({ busy: false });
  const doCancel = async () => {
    setCancel({ busy: true });
    try {
      await must(
        api.POST("/v1/workspaces/{workspace}/builds/{id}/cancel", {
          params: { path: { workspace, id: build.id } },
        }),
      );
      setCancel({ busy: false });
    } catch (error) {
      setCancel({ busy: false, error });
    }
  };
  return (
    <>
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link to={path("w", workspace, "builds")}>Builds</Link> / {build.id.slice(0, 12)}
      </nav>
      <header className="page-head">
        <h1>
          Build of{" "}
          <Link to={path("w", workspace, "environments", build.name, "versions", build.version)}>
            {build.name} v{build.version}
          </Link>{" "}
          <StateBadge state={build.state} />
        </h1>
        <div className="toolbar">
          {canWrite && !FINAL.has(build.state) ? (
            <button
              type="button"
              className="danger"
              disabled={cancel.busy || build.cancelRequested}
              onClick={() => void doCancel()}
            >
              {build.cancelRequested ? "Cancel requested" : "Cancel build"}
            </button>
          ) : null}
        </div>
      </header>
      {cancel.error === undefined ? null : <ErrorState error={cancel.error} />}
      <dl className="facts">
        <dt>Image</dt>
        <dd className="mono">{build.image.name}</dd>
        <dt>Where</dt>
        <dd>
          {build.image.location === "local-engine"
            ? `local Docker engine${build.image.id === null ? "" : `, image id ${build.image.id}`}`
            : `${build.image.registry ?? "registry"}${build.image.digest === null ? "" : `, digest ${build.image.digest}`}`}
        </dd>
        <dt>Started</dt>
        <dd>
          <When at={build.startedAt} />
        </dd>
        <dt>Duration</dt>
        <dd>{duration(build.durationMs)}</dd>
        <dt>Attempt</dt>
        <dd>
          {build.attempt} of {build.maxAttempts}
        </dd>
      </dl>
      {build.reason === null ? null : (
        <div className={`callout ${build.state === "failed" ? "error" : ""}`} role="status">
          <strong>{build.state === "failed" ? "Failed" : "Note"}:</strong> {build.reason}
          {build.failedStep === null ? null : (
            <div>
              Failing step: <code>{build.failedStep}</code> (highlighted in the log)
            </div>
          )}
        </div>
      )}
      <h2>
        Log{" "}
        <span className="muted small" aria-live="polite">
          {followed.ended ? `${followed.chunks.length} chunks` : "streaming…"}
        </span>
      </h2>
      {followed.error === undefined ? null : <ErrorState error={followed.error} />}
      <LogView chunks={followed.chunks} failedStep={build.failedStep} label="Build log" />
    </>
  );
}

export function duration(ms: number | null): string {
  if (ms === null) return "—";
  if (ms < 1000) return `${ms} ms`;
  const seconds = Math.round(ms / 100) / 10;
  return seconds < 60
    ? `${seconds} s`
    : `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}
