/**
 * The one way the UI talks to the server: typed calls generated from its /openapi.json, with
 * the API token (kept in session storage, never in a URL) sent as a bearer header.
 */
import createClient from "openapi-fetch";
import type { components, paths } from "./api-types";

export type Schemas = components["schemas"];
export type EnvironmentVersion = Schemas["EnvironmentVersion"];
export type Build = Schemas["Build"];
export type Job = Schemas["Job"];
export type LogChunk = Schemas["LogChunk"];
export type Problem = Schemas["Problem"];

const TOKEN_KEY = "envforge.token";

export const tokenStore = {
  get: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (token: string) => sessionStorage.setItem(TOKEN_KEY, token),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

export function authHeaders(): Record<string, string> {
  const token = tokenStore.get();
  return token === null ? {} : { authorization: `Bearer ${token}` };
}

export const api = createClient<paths>({ baseUrl: window.location.origin });
api.use({
  onRequest({ request }) {
    for (const [key, value] of Object.entries(authHeaders())) request.headers.set(key, value);
    return request;
  },
});

/** A failed call, with the server's problem+json when there is one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Partial<Problem> | undefined,
  ) {
    super(problem?.detail ?? problem?.title ?? `the server answered ${status}`);
  }
}

/** Unwraps an openapi-fetch result: the data, or an ApiError. */
export async function must<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  const { data, error, response } = await call;
  if (response.ok && data !== undefined) return data;
  throw new ApiError(response.status, isProblem(error) ? error : undefined);
}

/** For calls that answer 204 with no body. */
export async function mustSucceed(
  call: Promise<{ error?: unknown; response: Response }>,
): Promise<void> {
  const { error, response } = await call;
  if (!response.ok) throw new ApiError(response.status, isProblem(error) ? error : undefined);
}

function isProblem(value: unknown): value is Partial<Problem> {
  return typeof value === "object" && value !== null;
}
