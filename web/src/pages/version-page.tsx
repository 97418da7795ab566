import { useState } from "react";
import { api, must } from "../api";
import { Link, navigate, path } from "../router";
import { ErrorState, Loaded } from "../parts/states";
import { useLoad } from "../parts/use-load";
import { useSession } from "../session";
import { Tags } from "./environments-page";

const TABS = ["Definition", "Dockerfile", "Conda", "Pip", "Lock", "Image"] as const;
type Tab = (typeof TABS)[number];

export function VersionPage({ name, version }: { name: string; version: string }) {
  const { workspace, canWrite } = useSession();
  const [tab, setTab] = useState<Tab>("Dockerfile");
  const [building, setBuilding] = useState<{ busy: boolean; error?: unknown }>({ busy: false });
  const [load, reload] = useLoad(async () => {
    const params = { path: { workspace, name, version } };
    const [found, image] = await Promise.all([
      must(
        api.GET("/v1/workspaces/{workspace}/environments/{name}/versions/{version}", { params }),
      ),
      must(
        api.GET("/v1/workspaces/{workspace}/environments/{name}/versions/{version}/image-details", {
          params,
        }),
      ),
    ]);
    return { found, image };
  }, [workspace, name, version]);

  const build = async (number: number) => {
    setBuilding({ busy: true });
    try {
      const started = await must(
        api.POST("/v1/workspaces/{workspace}/environments/{name}/builds", {
          params: { path: { workspace, name } },
          body: { version: number },
        }),
      );
      navigate(path("w", workspace, "builds", started.id));
    } catch (error) {
      setBuilding({ busy: false, error });
    }
  };

  return (
    <Loaded load={load} what={`${name} version ${version}`} retry={reload}>
      {({ found, image }) => {
        const text: Record<Tab, string | null> = {
          Definition: Object.entries(found.sourceFiles)
            .map(([file, content]) => `# ${file}\n${content}`)
            .join("\n"),
          Dockerfile: image.ingredients.dockerfile,
          Conda: image.ingredients.condaSpecification,
          Pip: image.ingredients.pipRequirements,
          Lock: lockText(image.ingredients.lock),
          Image: null,
        };
        return (
          <>
            <nav className="crumbs" aria-label="Breadcrumb">
              <Link to={path("w", workspace, "environments")}>Environments</Link> /{" "}
              <Link to={path("w", workspace, "environments", name)}>{name}</Link> / v{found.version}
            </nav>
            <header className="page-head">
              <h1>
                {name} <span className="muted">v{found.version}</span>
                {found.labels.map((label) => (
                  <span className="badge label" key={label}>
                    {label}
                  </span>
                ))}
                {found.archived ? <span className="badge archived">archived</span> : null}
              </h1>
              <div className="toolbar">
                {canWrite && !found.curated ? (
                  <button
                    type="button"
                    className="primary"
                    disabled={building.busy}
                    onClick={() => void build(found.version)}
                  >
                    {building.busy ? "Starting build…" : "Build"}
                  </button>
                ) : null}
              </div>
            </header>
            {building.error === undefined ? null : <ErrorState error={building.error} />}
            {found.description === undefined ? null : <p>{found.description}</p>}
            <p>
              <Tags tags={found.tags} />
            </p>
            <dl className="facts">
              <dt>Image</dt>
              <dd className="mono">{image.image.name}</dd>
              <dt>Where</dt>
              <dd>{where(image.image, image.existsInRegistry)}</dd>
              <dt>Image hash</dt>
              <dd className="mono">{image.imageHash}</dd>
              <dt>Definition hash</dt>
              <dd className="mono">{found.definitionHash}</dd>
            </dl>
            <div className="tabs" role="tablist" aria-label="Ingredients">
              {TABS.map((name) => (
                <button
                  key={name}
                  type="button"
                  role="tab"
                  id={`tab-${name}`}
                  aria-selected={tab === name}
                  aria-controls="tab-panel"
                  className={tab === name ? "active" : ""}
                  onClick={() => setTab(name)}
                >
                  {name}
                </button>
              ))}
            </div>
            <div role="tabpanel" id="tab-panel" aria-labelledby={`tab-${tab}`}>
              {tab === "Image" ? (
                <pre className="code-block">
                  {JSON.stringify(image.image, null, 2)}
                  {JSON.stringify(image.pythonEnvironment, null, 2)}
                </pre>
              ) : text[tab] === null ? (
                <p className="state empty">
                  This version has no{" "}
                  {tab === "Conda"
                    ? "conda environment"
                    : tab === "Pip"
                      ? "pip requirements"
                      : "lock"}
                  .
                </p>
              ) : (
                <pre className="code-block" tabIndex={0} aria-label={tab}>
                  {text[tab]}
                </pre>
              )}
            </div>
          </>
        );
      }}
    </Loaded>
  );
}

function lockText(lock: unknown): string | null {
  if (lock === null || lock === undefined) return null;
  return typeof lock === "string" ? lock : JSON.stringify(lock, null, 2);
}

function where(
  image: { location: string; registry: string | null; digest: string | null; id: string | null },
  exists: boolean,
): string {
  if (image.location === "local-engine") {
    return image.id === null
      ? "not built yet; a build keeps it in the server's Docker engine"
      : `the local Docker engine, image id ${image.id}`;
  }
  if (image.digest === null || !exists)
    return `not built yet; a build pushes it to ${image.registry ?? "the registry"}`;
  return `${image.registry ?? "registry"}, digest ${image.digest}`;
}
