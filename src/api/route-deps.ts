/** What every route module gets: the typed app and the services it calls. */
import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { ParseSettings } from "../definition/definition.js";
import type { EnvironmentService } from "../workspace/index.js";
import type { FindBuiltImage, FindSbom } from "../workspace/image-details.js";
import type { ApiMetrics } from "./metrics.js";
import type { ParsePool } from "./parse-pool.js";

export type ZodApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;

export interface RouteDeps {
  readonly service: EnvironmentService;
  readonly settings: ParseSettings;
  readonly metrics: ApiMetrics;
  readonly registry?: string;
  readonly auth: boolean;
  /** Threads that read request bodies off the event loop. */
  readonly parsePool: ParsePool;
  /** Registration bodies above this many bytes are read on the pool, smaller ones in place. */
  readonly registrationOffThreadBytes: number;
  /** What builds recorded about an image (digest, existsInRegistry in image details). */
  readonly findBuiltImage?: FindBuiltImage;
  /** The SBOM attached to a pushed image, for image details. */
  readonly findSbom?: FindSbom;
}
