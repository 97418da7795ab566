import { ExternalError } from "../errors/index.js";
import type { EnvforgeErrorOptions } from "../errors/index.js";

/**
 * A registry (or its token server) refused envforge: no credentials, wrong ones, or no access.
 * An ExternalError (exit 5, HTTP 502), not UnauthorizedError: the caller of envforge is not the
 * one refused, envforge's registry login is.
 */
export class RegistryAuthError extends ExternalError {
  readonly registry: string;
  readonly status: number;
  constructor(
    message: string,
    options: EnvforgeErrorOptions & { readonly registry: string; readonly status: number },
  ) {
    super(message, options);
    this.registry = options.registry;
    this.status = options.status;
  }
}
