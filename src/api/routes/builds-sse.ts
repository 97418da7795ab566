/**
 * Server-Sent Events for a followed log: `event: log` per chunk (its seq as the event id, so a
 * client that reconnects with Last-Event-ID resumes after it), `event: state` on state changes,
 * and the stream ends after the final state. A client that goes away stops the follower.
 */
import type { FastifyReply, FastifyRequest } from "fastify";

export interface SseEvent {
  readonly event: "log" | "state";
  readonly id?: number;
  readonly data: unknown;
}

export async function sendEvents(
  request: FastifyRequest,
  reply: FastifyReply,
  events: (signal: AbortSignal) => AsyncIterable<SseEvent>,
): Promise<void> {
  const gone = new AbortController();
  request.raw.on("close", () => gone.abort());
  reply.hijack();
  reply.raw.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    connection: "keep-alive",
    "x-accel-buffering": "no",
  });
  try {
    for await (const event of events(gone.signal)) {
      if (gone.signal.aborted) break;
      const id = event.id === undefined ? "" : `id: ${event.id}\n`;
      reply.raw.write(`event: ${event.event}\n${id}data: ${JSON.stringify(event.data)}\n\n`);
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    reply.raw.write(`event: error\ndata: ${JSON.stringify({ message })}\n\n`);
  } finally {
    reply.raw.end();
  }
}

/** Last-Event-ID (a reconnecting EventSource) or `?after=`. */
export function resumeAfter(request: FastifyRequest, after: number | undefined): number {
  const header = request.headers["last-event-id"];
  const text = Array.isArray(header) ? header[0] : header;
  if (text !== undefined && /^[0-9]{1,10}$/.test(text)) return Number(text);
  return after ?? 0;
}
