import { api, must } from "../api";
import { Empty, Loaded, When } from "../parts/states";
import { useLoad } from "../parts/use-load";
import { Link, path } from "../router";

export function WorkspacesPage() {
  const [load, reload] = useLoad(() => must(api.GET("/v1/workspaces")), []);
  return (
    <>
      <header className="page-head">
        <h1>Workspaces</h1>
      </header>
      <Loaded load={load} what="workspaces" retry={reload}>
        {(page) =>
          page.items.length === 0 ? (
            <Empty title="No workspaces">
              Create one with <code>envforge workspace create NAME</code>.
            </Empty>
          ) : (
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Description</th>
                    <th scope="col">Created</th>
                  </tr>
                </thead>
                <tbody>
                  {page.items.map((workspace) => (
                    <tr key={workspace.name}>
                      <td>
                        <Link to={path("w", workspace.name, "environments")}>{workspace.name}</Link>
                      </td>
                      <td className="muted">{workspace.description ?? ""}</td>
                      <td>
                        <When at={workspace.createdAt} />
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
