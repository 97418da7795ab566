import { useState } from "react";
import type { Schemas } from "../api";
import { api, must } from "../api";
import { Empty, ErrorState, Loaded, When } from "../parts/states";
import { useLoad } from "../parts/use-load";
import { useSession } from "../session";

type Scope = Schemas["ApiToken"]["scopes"][number];

export function TokensPage() {
  const { workspace, canAdmin } = useSession();
  const [load, reload] = useLoad(
    () => must(api.GET("/v1/workspaces/{workspace}/tokens", { params: { path: { workspace } } })),
    [workspace],
  );
  const [name, setName] = useState("");
  const [scope, setScope] = useState<Scope>("read");
  const [created, setCreated] = useState<string | undefined>();
  const [failure, setFailure] = useState<unknown>();

  if (!canAdmin) {
    return <Empty title="Tokens are for admins">Your token does not have the admin scope.</Empty>;
  }
  const create = async () => {
    setFailure(undefined);
    try {
      const result = await must(
        api.POST("/v1/workspaces/{workspace}/tokens", {
          params: { path: { workspace } },
          body: { name, scopes: [scope] },
        }),
      );
      setCreated(result.secret);
      setName("");
      reload();
    } catch (error) {
      setFailure(error);
    }
  };
  const revoke = async (id: string) => {
    setFailure(undefined);
    try {
      await must(
        api.DELETE("/v1/workspaces/{workspace}/tokens/{id}", {
          params: { path: { workspace, id } },
        }),
      );
      reload();
    } catch (error) {
      setFailure(error);
    }
  };
  return (
    <>
      <header className="page-head">
        <h1>API tokens</h1>
      </header>
      <form
        className="inline-form"
        onSubmit={(event) => {
          event.preventDefault();
          void create();
        }}
      >
        <label>
          Name <input required value={name} onChange={(event) => setName(event.target.value)} />
        </label>
        <label>
          Scope{" "}
          <select value={scope} onChange={(event) => setScope(event.target.value as Scope)}>
            <option value="read">read</option>
            <option value="write">write</option>
            <option value="admin">admin</option>
          </select>
        </label>
        <button type="submit" className="primary">
          Create token
        </button>
      </form>
      {created === undefined ? null : (
        <div className="callout" role="status">
          <strong>Copy this token now; it is not shown again:</strong>
          <pre className="code-block">{created}</pre>
        </div>
      )}
      {failure === undefined ? null : <ErrorState error={failure} />}
      <Loaded load={load} what="tokens" retry={reload}>
        {(page) =>
          page.items.length === 0 ? (
            <Empty title="No tokens in this workspace" />
          ) : (
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Scopes</th>
                    <th scope="col">Created</th>
                    <th scope="col">State</th>
                    <th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {page.items.map((token) => (
                    <tr key={token.id}>
                      <td>{token.name}</td>
                      <td>{token.scopes.join(", ")}</td>
                      <td>
                        <When at={token.createdAt} />
                      </td>
                      <td>{token.revokedAt === undefined ? "active" : "revoked"}</td>
                      <td>
                        {token.revokedAt === undefined ? (
                          <button
                            type="button"
                            className="danger"
                            onClick={() => void revoke(token.id)}
                          >
                            Revoke
                          </button>
                        ) : null}
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
