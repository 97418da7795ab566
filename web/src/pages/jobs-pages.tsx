import type { Job } from "../api";
import { api, must } from "../api";
import { useFollowLog } from "../parts/follow-log";
import { LogView } from "../parts/log-view";
import { Empty, Loaded, StateBadge, When } from "../parts/states";
import { useLoad } from "../parts/use-load";
import { Link, path } from "../router";
import { useSession } from "../session";
import { duration } from "./builds-pages";

export function JobsPage() {
  const { workspace } = useSession();
  const [load, reload] = useLoad(
    () => must(api.GET("/v1/workspaces/{workspace}/jobs", { params: { path: { workspace } } })),
    [workspace],
  );
  return (
    <>
      <header className="page-head">
        <h1>Jobs</h1>
        <div className="toolbar">
          <button type="button" onClick={reload}>
            Refresh
          </button>
        </div>
      </header>
      <Loaded load={load} what="jobs" retry={reload}>
        {(page) =>
          page.items.length === 0 ? (
            <Empty title="No jobs yet">
              Run one with <code>envforge run NAME -- COMMAND</code>.
            </Empty>
          ) : (
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Job</th>
                    <th scope="col">Environment</th>
                    <th scope="col">Command</th>
                    <th scope="col">State</th>
                    <th scope="col">Exit code</th>
                    <th scope="col" className="wide-only">
                      Started
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {page.items.map((job) => (
                    <tr key={job.id}>
                      <td>
                        <Link to={path("w", workspace, "jobs", job.id)} className="mono">
                          {job.id.slice(0, 12)}
                        </Link>
                      </td>
                      <td>
                        {job.name} v{job.version}
                      </td>
                      <td className="mono">{job.command.join(" ")}</td>
                      <td>
                        <StateBadge state={job.state} />
                      </td>
                      <td className="mono">{job.exitCode ?? "—"}</td>
                      <td className="wide-only">
                        <When at={job.startedAt ?? job.createdAt} />
                      </td>
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

export function JobPage({ id }: { id: string }) {
  const { workspace } = useSession();
  const [load, reload] = useLoad(
    () =>
      must(
        api.GET("/v1/workspaces/{workspace}/jobs/{id}", { params: { path: { workspace, id } } }),
      ),
    [workspace, id],
  );
  return (
    <Loaded load={load} what={`job ${id}`} retry={reload}>
      {(job) => <JobView job={job} />}
    </Loaded>
  );
}

function JobView({ job: first }: { job: Job }) {
  const { workspace } = useSession();
  const url = `/v1/workspaces/${encodeURIComponent(workspace)}/jobs/${encodeURIComponent(first.id)}/logs/stream`;
  const followed = useFollowLog<Job>(url, first);
  const job = followed.state ?? first;
  return (
    <>
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link to={path("w", workspace, "jobs")}>Jobs</Link> / {job.id.slice(0, 12)}
      </nav>
      <header className="page-head">
        <h1>
          Job in {job.name} v{job.version} <StateBadge state={job.state} />
        </h1>
      </header>
      <dl className="facts">
        <dt>Command</dt>
        <dd className="mono">{job.command.join(" ")}</dd>
        <dt>Exit code</dt>
        <dd className="mono" data-testid="exit-code">
          {job.exitCode ?? "—"}
        </dd>
        <dt>Image</dt>
        <dd className="mono">{job.imageName}</dd>
        <dt>Started</dt>
        <dd>
          <When at={job.startedAt} />
        </dd>
        <dt>Duration</dt>
        <dd>{duration(job.durationMs)}</dd>
      </dl>
      {job.reason === null ? null : <div className="callout">{job.reason}</div>}
      <h2>Log</h2>
      <LogView chunks={followed.chunks} label="Job log" />
    </>
  );
}
