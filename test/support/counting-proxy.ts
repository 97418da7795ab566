/**
 * A loopback HTTP proxy in front of a test registry that counts what clients send: requests by
 * method and path kind, and the body bytes of blob uploads. Tests name the proxy's address as the
 * registry, so every blob and manifest still lands in the real registry behind it.
 */
import { createServer, request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";

export interface CountedRequest {
  readonly method: string;
  readonly path: string;
  /** Body bytes the client sent. */
  readonly bytes: number;
}

export interface CountingProxy {
  /** `127.0.0.1:<port>` */
  readonly address: string;
  readonly requests: CountedRequest[];
  /** Forget what was counted so far. */
  reset(): void;
  /** Bytes of blob uploads (PUT/PATCH under /blobs/uploads/) since the last reset. */
  blobBytes(): number;
  /** Blob uploads finished (PUT under /blobs/uploads/) since the last reset. */
  blobUploads(): number;
  close(): Promise<void>;
}

export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const [host = "127.0.0.1", port = "80"] = target.split(":");
  const requests: CountedRequest[] = [];
  const server = createServer((incoming, outgoing) => {
    let bytes = 0;
    const upstream = httpRequest(
      {
        host,
        port: Number(port),
        method: incoming.method,
        path: incoming.url,
        headers: incoming.headers,
      },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    upstream.on("error", () => outgoing.destroy());
    incoming.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
    });
    incoming.on("end", () => {
      requests.push({ method: incoming.method ?? "", path: incoming.url ?? "", bytes });
    });
    incoming.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    address,
    requests,
    reset: () => requests.splice(0, requests.length),
    blobBytes: () => blobBytesOf(requests),
    blobUploads: () => uploadsOf(requests).filter((r) => r.method === "PUT").length,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Blob upload requests that carry bytes (PUT or PATCH under /blobs/uploads/). */
function uploadsOf(requests: readonly CountedRequest[]): CountedRequest[] {
  return requests.filter((r) => r.path.includes("/blobs/uploads/") && r.method !== "POST");
}

/** Bytes of blob uploads among `requests`. */
export function blobBytesOf(requests: readonly CountedRequest[]): number {
  return uploadsOf(requests).reduce((sum, r) => sum + r.bytes, 0);
}
