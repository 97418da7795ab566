import { useState } from "react";
import type { EnvironmentVersion } from "../api";
import { api, must } from "../api";
import { Link, path } from "../router";
import { Empty, Loaded } from "../parts/states";
import { useLoad } from "../parts/use-load";
import { useSession } from "../session";

interface Row {
  readonly name: string;
  readonly latest: EnvironmentVersion | undefined;
  readonly archived: boolean;
  readonly curated: boolean;
}

async function loadRows(workspace: string, includeArchived: boolean): Promise<Row[]> {
  const params = { path: { workspace } };
  const [page, curated] = await Promise.all([
    must(
      api.GET("/v1/workspaces/{workspace}/environments", {
        params: { ...params, query: { includeArchived: includeArchived ? "true" : "false" } },
      }),
    ),
    must(api.GET("/v1/workspaces/{workspace}/curated", { params })),
  ]);
  const own = await Promise.all(
    page.items.map(async (summary): Promise<Row> => {
      const latest =
        summary.latestVersion === undefined
          ? undefined
          : await must(
              api.GET("/v1/workspaces/{workspace}/environments/{name}/versions/{version}", {
                params: {
                  path: { workspace, name: summary.name, version: String(summary.latestVersion) },
                },
              }),
            );
      return { name: summary.name, latest, archived: summary.archived, curated: false };
    }),
  );
  const shipped = curated.items.map((version): Row => ({
    name: version.name,
    latest: version,
    archived: false,
    curated: true,
  }));
  return [...own, ...shipped];
}

function matches(row: Row, query: string): boolean {
  if (query === "") return true;
  const haystack = [
    row.name,
    row.latest?.description ?? "",
    ...(row.latest?.labels ?? []),
    ...Object.entries(row.latest?.tags ?? {}).map(([k, v]) => `${k}=${v}`),
  ]
    .join(" ")
    .toLowerCase();
  return query
    .toLowerCase()
    .split(/\s+/)
    .every((word) => haystack.includes(word));
}

export function EnvironmentsPage() {
  const { workspace } = useSession();
  const [query, setQuery] = useState("");
  const [archived, setArchived] = useState(false);
  const [load, reload] = useLoad(() => loadRows(workspace, archived), [workspace, archived]);
  return (
    <>
      <header className="page-head">
        <h1>Environments</h1>
        <div className="toolbar">
          <label className="search">
            <span className="visually-hidden">Search environments</span>
            <input
              type="search"
              placeholder="Search by name, tag or label"
              value={query}
              onChange={(event) => setQuery(event.target.value)}
            />
          </label>
          <label className="check">
            <input
              type="checkbox"
              checked={archived}
              onChange={(event) => setArchived(event.target.checked)}
            />
            Show archived
          </label>
        </div>
      </header>
      <Loaded load={load} what="environments" retry={reload}>
        {(rows) => {
          const shown = rows.filter((row) => matches(row, query));
          if (rows.length === 0) {
            return (
              <Empty title="No environments yet">
                Register one with{" "}
                <code>envforge env create --file environment.yml --name NAME</code>.
              </Empty>
            );
          }
          if (shown.length === 0) return <Empty title={`Nothing matches “${query}”`} />;
          return (
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Latest</th>
                    <th scope="col">Labels</th>
                    <th scope="col">Tags</th>
                    <th scope="col" className="wide-only">
                      Description
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {shown.map((row) => (
                    <tr key={`${row.curated ? "c" : "o"}:${row.name}`}>
                      <td>
                        <Link to={path("w", workspace, "environments", row.name)}>{row.name}</Link>
                        {row.curated ? <span className="badge curated">curated</span> : null}
                        {row.archived ? <span className="badge archived">archived</span> : null}
                      </td>
                      <td>{row.latest === undefined ? "—" : `v${row.latest.version}`}</td>
                      <td>
                        {(row.latest?.labels ?? []).map((label) => (
                          <span className="badge label" key={label}>
                            {label}
                          </span>
                        ))}
                      </td>
                      <td>
                        <Tags tags={row.latest?.tags ?? {}} />
                      </td>
                      <td className="wide-only muted">{row.latest?.description ?? ""}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          );
        }}
      </Loaded>
    </>
  );
}

export function Tags({ tags }: { tags: Readonly<Record<string, string>> }) {
  return (
    <>
      {Object.entries(tags).map(([key, value]) => (
        <span className="badge tag" key={key}>
          {key}={value}
        </span>
      ))}
    </>
  );
}
