/**
 * Follows a build's or job's log live over the server's Server-Sent Events. EventSource cannot
 * send a bearer header (and the token never goes in a URL), so the stream is read with fetch.
 */
import { useEffect, useState } from "react";
import type { LogChunk } from "../api";
import { ApiError, authHeaders } from "../api";

export interface Followed<S> {
  readonly chunks: readonly LogChunk[];
  readonly state: S | undefined;
  readonly error: unknown;
  readonly ended: boolean;
}

export function useFollowLog<S>(url: string, initial: S | undefined): Followed<S> {
  const [followed, setFollowed] = useState<Followed<S>>({
    chunks: [],
    state: initial,
    error: undefined,
    ended: false,
  });
  useEffect(() => {
    const stop = new AbortController();
    let pending: LogChunk[] = [];
    let frame = 0;
    // Chunks arrive fast during a build: add them to the page at most once a frame.
    const flush = () => {
      frame = 0;
      const add = pending;
      pending = [];
      setFollowed((f) => ({ ...f, chunks: [...f.chunks, ...add] }));
    };
    const onEvent = (event: string, data: string) => {
      if (event === "log") {
        pending.push(JSON.parse(data) as LogChunk);
        if (frame === 0) frame = requestAnimationFrame(flush);
      } else if (event === "state") {
        const state = JSON.parse(data) as S;
        setFollowed((f) => ({ ...f, state }));
      } else if (event === "error") {
        setFollowed((f) => ({
          ...f,
          error: new Error((JSON.parse(data) as { message: string }).message),
        }));
      }
    };
    setFollowed({ chunks: [], state: initial, error: undefined, ended: false });
    readEvents(url, stop.signal, onEvent).then(
      () => {
        if (frame !== 0) cancelAnimationFrame(frame);
        flush();
        setFollowed((f) => ({ ...f, ended: true }));
      },
      (error: unknown) => {
        if (!stop.signal.aborted) setFollowed((f) => ({ ...f, error, ended: true }));
      },
    );
    return () => {
      stop.abort();
      if (frame !== 0) cancelAnimationFrame(frame);
    };
    // `initial` only seeds the state; a new one must not restart the stream.
  }, [url]);
  return followed;
}

async function readEvents(
  url: string,
  signal: AbortSignal,
  onEvent: (event: string, data: string) => void,
): Promise<void> {
  const response = await fetch(url, {
    headers: { accept: "text/event-stream", ...authHeaders() },
    signal,
  });
  if (!response.ok || response.body === null) {
    const problem = (await response.json().catch(() => undefined)) as
      { detail?: string } | undefined;
    throw new ApiError(response.status, problem);
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end = buffer.indexOf("\n\n");
    while (end !== -1) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = "message";
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event: ")) event = line.slice(7);
        else if (line.startsWith("data: ")) data.push(line.slice(6));
      }
      if (data.length > 0) onEvent(event, data.join("\n"));
      end = buffer.indexOf("\n\n");
    }
  }
}
