import { api, must } from "../api";
import { Link, navigate, path } from "../router";
import { Empty, Loaded } from "../parts/states";
import { useLoad } from "../parts/use-load";
import { useSession } from "../session";
import { VersionSelect } from "./environment-page";

type Diff = Awaited<ReturnType<typeof loadDiff>>["diff"];

async function loadDiff(workspace: string, name: string, from: string, to: string) {
  const [diff, versions] = await Promise.all([
    must(
      api.GET("/v1/workspaces/{workspace}/environments/{name}/versions/{version}/diff/{other}", {
        params: { path: { workspace, name, version: from, other: to } },
      }),
    ),
    must(
      api.GET("/v1/workspaces/{workspace}/environments/{name}/versions", {
        params: { path: { workspace, name }, query: { includeArchived: "true" } },
      }),
    ),
  ]);
  return { diff, versions: versions.items.map((v) => v.version) };
}

const SIGN = { added: "+", removed: "−", changed: "~" } as const;

export function DiffPage(props: { name: string; from: string; to: string }) {
  const { workspace } = useSession();
  const { name, from, to } = props;
  const [load, reload] = useLoad(
    () => loadDiff(workspace, name, from, to),
    [workspace, name, from, to],
  );
  const go = (a: string | number, b: string | number) =>
    navigate(path("w", workspace, "environments", name, "diff", a, b), { replace: true });
  return (
    <>
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link to={path("w", workspace, "environments")}>Environments</Link> /{" "}
        <Link to={path("w", workspace, "environments", name)}>{name}</Link> / diff
      </nav>
      <Loaded load={load} what="the diff" retry={reload}>
        {({ diff, versions }) => (
          <>
            <header className="page-head">
              <h1>
                {name}: v{diff.from} → v{diff.to}
              </h1>
              <div className="toolbar diff-picker">
                <VersionSelect
                  label="from version"
                  versions={versions}
                  value={diff.from}
                  onChange={(v) => go(v, diff.to)}
                />
                <span>→</span>
                <VersionSelect
                  label="to version"
                  versions={versions}
                  value={diff.to}
                  onChange={(v) => go(diff.from, v)}
                />
              </div>
            </header>
            {diff.same ? (
              <Empty title="The two versions are the same">Same definition, same lock.</Empty>
            ) : (
              <DiffTables diff={diff} />
            )}
          </>
        )}
      </Loaded>
    </>
  );
}

function DiffTables({ diff }: { diff: Diff }) {
  return (
    <>
      <h2>Definition</h2>
      {diff.definition.length === 0 ? (
        <p className="muted">No change in the definition.</p>
      ) : (
        <div className="table-wrap">
          <table className="diff">
            <thead>
              <tr>
                <th scope="col">Change</th>
                <th scope="col">Part</th>
                <th scope="col">Entry</th>
                <th scope="col">From</th>
                <th scope="col">To</th>
              </tr>
            </thead>
            <tbody>
              {diff.definition.map((change) => (
                <tr key={`${change.part}:${change.key}`} className={`diff-${change.kind}`}>
                  <td>
                    <span aria-hidden="true">{SIGN[change.kind]}</span> {change.kind}
                  </td>
                  <td>{change.part}</td>
                  <td className="mono">{change.key}</td>
                  <td className="mono pre">{change.from ?? ""}</td>
                  <td className="mono pre">{change.to ?? ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h2>Lock</h2>
      {!diff.lock.compared ? (
        <p className="muted">Not compared: one of the versions was registered without a lock.</p>
      ) : diff.lock.changes.length === 0 && diff.lock.baseImageDigest === undefined ? (
        <p className="muted">No locked package changed.</p>
      ) : (
        <div className="table-wrap">
          <table className="diff">
            <thead>
              <tr>
                <th scope="col">Change</th>
                <th scope="col">Package</th>
                <th scope="col">Manager</th>
                <th scope="col">From</th>
                <th scope="col">To</th>
              </tr>
            </thead>
            <tbody>
              {diff.lock.baseImageDigest === undefined ? null : (
                <tr className="diff-changed">
                  <td>~ changed</td>
                  <td>base image digest</td>
                  <td />
                  <td className="mono">{diff.lock.baseImageDigest.from ?? ""}</td>
                  <td className="mono">{diff.lock.baseImageDigest.to ?? ""}</td>
                </tr>
              )}
              {diff.lock.changes.map((change) => (
                <tr
                  key={`${change.manager}:${change.platform}:${change.name}`}
                  className={`diff-${change.kind}`}
                >
                  <td>
                    <span aria-hidden="true">{SIGN[change.kind]}</span> {change.kind}
                  </td>
                  <td className="mono">{change.name}</td>
                  <td>
                    {change.manager} <span className="muted">{change.platform}</span>
                  </td>
                  <td className="mono">{locked(change.from)}</td>
                  <td className="mono">{locked(change.to)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

function locked(version: { version: string; build?: string } | undefined): string {
  if (version === undefined) return "";
  return version.build === undefined ? version.version : `${version.version} (${version.build})`;
}
