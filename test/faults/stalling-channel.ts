/**
 * A conda channel that stops answering mid-package: repodata and everything else are passed
 * through from a real channel, but a package file gets its headers and its first bytes, and then
 * nothing, with the connection held open. Real sockets on 127.0.0.1; nothing of envforge is
 * replaced.
 */
import { createServer } from "node:http";
import type { ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** A package body stops after this many bytes (or half of it, for a smaller package). */
export const STALL_AFTER_BYTES = 4096;

export interface StallingChannel {
  /** `http://127.0.0.1:<port>`: the upstream channel, with package bodies cut short. */
  readonly url: string;
  /** Package paths asked for, in order. */
  readonly packageRequests: readonly string[];
  close(): Promise<void>;
}

export async function startStallingChannel(upstream: string): Promise<StallingChannel> {
  const packageRequests: string[] = [];
  const held = new Set<ServerResponse>();
  const server = createServer((request, response) => {
    const path = request.url ?? "/";
    void (async () => {
      const answer = await fetch(`${upstream}${path}`);
      const body = Buffer.from(await answer.arrayBuffer());
      if (!/\.(conda|tar\.bz2)$/.test(new URL(path, upstream).pathname) || answer.status !== 200) {
        response.writeHead(answer.status, {
          "content-type": answer.headers.get("content-type") ?? "application/octet-stream",
          "content-length": String(body.length),
        });
        response.end(body);
        return;
      }
      packageRequests.push(path);
      held.add(response);
      response.on("close", () => held.delete(response));
      response.writeHead(200, { "content-length": String(body.length) });
      response.write(body.subarray(0, Math.min(STALL_AFTER_BYTES, Math.floor(body.length / 2))));
      // …and nothing more: the connection stays open and silent.
    })().catch(() => response.destroy());
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    packageRequests,
    close: () => {
      for (const response of held) response.destroy();
      server.closeAllConnections();
      return new Promise<void>((done) => server.close(() => done()));
    },
  };
}
