import { useState } from "react";
import { api, must } from "../api";
import { Link, navigate, path } from "../router";
import { Empty, Loaded, When } from "../parts/states";
import { useLoad } from "../parts/use-load";
import { useSession } from "../session";
import { Tags } from "./environments-page";

export function EnvironmentPage({ name }: { name: string }) {
  const { workspace } = useSession();
  const [archived, setArchived] = useState(false);
  const [picked, setPicked] = useState<{ from?: number; to?: number }>({});
  const [load, reload] = useLoad(async () => {
    const params = { path: { workspace, name } };
    const [details, versions] = await Promise.all([
      must(api.GET("/v1/workspaces/{workspace}/environments/{name}", { params })),
      must(
        api.GET("/v1/workspaces/{workspace}/environments/{name}/versions", {
          params: { ...params, query: { includeArchived: archived ? "true" : "false" } },
        }),
      ),
    ]);
    return { details, versions: versions.items };
  }, [workspace, name, archived]);

  return (
    <Loaded load={load} what={`environment ${name}`} retry={reload}>
      {({ details, versions }) => {
        const from = picked.from ?? versions[1]?.version;
        const to = picked.to ?? versions[0]?.version;
        return (
          <>
            <nav className="crumbs" aria-label="Breadcrumb">
              <Link to={path("w", workspace, "environments")}>Environments</Link> / {name}
            </nav>
            <header className="page-head">
              <h1>
                {name}
                {details.curated ? <span className="badge curated">curated</span> : null}
                {details.archived ? <span className="badge archived">archived</span> : null}
              </h1>
              <div className="toolbar">
                <label className="check">
                  <input
                    type="checkbox"
                    checked={archived}
                    onChange={(event) => setArchived(event.target.checked)}
                  />
                  Show archived versions
                </label>
              </div>
            </header>
            <p className="muted">
              Latest: {details.latestVersion === undefined ? "none" : `v${details.latestVersion}`}
              {" · "}Labels:{" "}
              {Object.entries(details.labels)
                .map(([label, version]) => `${label} → v${version}`)
                .join(", ") || "none"}
            </p>
            {versions.length === 0 ? (
              <Empty title="No versions to show">
                {archived ? "This environment has no versions." : "Every version is archived."}
              </Empty>
            ) : (
              <>
                {versions.length > 1 ? (
                  <form
                    className="diff-picker"
                    onSubmit={(event) => {
                      event.preventDefault();
                      if (from !== undefined && to !== undefined) {
                        navigate(path("w", workspace, "environments", name, "diff", from, to));
                      }
                    }}
                  >
                    <span>Compare</span>
                    <VersionSelect
                      label="from version"
                      versions={versions.map((v) => v.version)}
                      value={from}
                      onChange={(value) => setPicked({ from: value, to })}
                    />
                    <span>with</span>
                    <VersionSelect
                      label="to version"
                      versions={versions.map((v) => v.version)}
                      value={to}
                      onChange={(value) => setPicked({ from, to: value })}
                    />
                    <button type="submit">Show diff</button>
                  </form>
                ) : null}
                <div className="table-wrap">
                  <table>
                    <thead>
                      <tr>
                        <th scope="col">Version</th>
                        <th scope="col">Labels</th>
                        <th scope="col">Tags</th>
                        <th scope="col" className="wide-only">
                          Definition hash
                        </th>
                        <th scope="col">Registered</th>
                      </tr>
                    </thead>
                    <tbody>
                      {versions.map((version) => (
                        <tr key={version.version} className={version.archived ? "archived" : ""}>
                          <td>
                            <Link
                              to={path(
                                "w",
                                workspace,
                                "environments",
                                name,
                                "versions",
                                version.version,
                              )}
                            >
                              v{version.version}
                            </Link>
                            {version.archived ? (
                              <span className="badge archived">archived</span>
                            ) : null}
                            {version.lock === undefined ? (
                              <span className="badge warn" title="registered without a lock">
                                no lock
                              </span>
                            ) : null}
                          </td>
                          <td>
                            {version.labels.map((label) => (
                              <span className="badge label" key={label}>
                                {label}
                              </span>
                            ))}
                          </td>
                          <td>
                            <Tags tags={version.tags} />
                          </td>
                          <td className="wide-only mono">{version.definitionHash}</td>
                          <td>
                            <When at={version.createdAt} />
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              </>
            )}
          </>
        );
      }}
    </Loaded>
  );
}

export function VersionSelect(props: {
  label: string;
  versions: readonly number[];
  value: number | undefined;
  onChange: (value: number) => void;
}) {
  return (
    <label>
      <span className="visually-hidden">{props.label}</span>
      <select
        aria-label={props.label}
        value={props.value ?? ""}
        onChange={(event) => props.onChange(Number(event.target.value))}
      >
        {props.versions.map((version) => (
          <option key={version} value={version}>
            v{version}
          </option>
        ))}
      </select>
    </label>
  );
}
