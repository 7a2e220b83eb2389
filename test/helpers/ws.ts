/** @module WebSocket clients for tests: one in-process that records everything, one in a process that can be stopped. */
import { join } from 'node:path';
import { waitForLine } from './process';

export interface Msg {
  id?: string;
  seq?: number;
  sessionId: string | null;
  timestamp: string;
  event: string;
  payload: Record<string, unknown> & { stream?: string; frame?: number; code?: string };
}

export interface Recorder {
  ws: WebSocket;
  messages: Msg[];
  protocol: string;
  closed: Promise<{ code: number; reason: string }>;
  eventIds(): string[];
  send(o: object): void;
}

/** Connect and record; rejects when the server refuses the upgrade. */
export function record(
  url: string,
  init: { headers?: Record<string, string>; protocols?: string[] } = {},
): Promise<Recorder> {
  const ws = new WebSocket(url, { headers: init.headers, protocols: init.protocols ?? ['json'] } as never);
  const messages: Msg[] = [];
  let onClose!: (c: { code: number; reason: string }) => void;
  const closed = new Promise<{ code: number; reason: string }>((r) => {
    onClose = r;
  });
  ws.onmessage = (e) => messages.push(JSON.parse(String(e.data)) as Msg);
  ws.onclose = (e) => onClose({ code: e.code, reason: e.reason });
  return new Promise((resolve, reject) => {
    ws.onopen = () =>
      resolve({
        ws,
        messages,
        closed,
        protocol: ws.protocol,
        eventIds: () => messages.filter((m) => m.id).map((m) => m.id!),
        send: (o) => ws.send(JSON.stringify(o)),
      });
    ws.onerror = () => reject(new Error(`WebSocket to ${url} refused`));
  });
}

/**
 * A client in its own process that sends a subscription and then stops itself (SIGSTOP), so it
 * never reads: the real slow subscriber. After SIGCONT it reads what it was sent and prints the
 * events of the last messages and the close code as JSON.
 */
export async function stuckClient(url: string, subscription: object) {
  const proc = Bun.spawn(
    [process.execPath, join(import.meta.dir, 'ws-stuck-client.ts'), url, JSON.stringify(subscription)],
    // Not inherit: a stopped process left behind would hold the test run's output open.
    { stdout: 'pipe', stderr: 'ignore' },
  );
  try {
    await waitForLine(proc.stdout as ReadableStream<Uint8Array>, /(stopping)/, 20_000);
  } catch (e) {
    proc.kill('SIGKILL');
    throw e;
  }
  return {
    proc,
    /** SIGKILL ends it even while stopped; a test that fails before resume() leaves nothing behind. */
    async [Symbol.asyncDispose]() {
      proc.kill('SIGKILL');
      await proc.exited;
    },
    async resume(): Promise<{ last: string[]; code: number; received: number }> {
      proc.kill('SIGCONT');
      let out = '';
      for await (const chunk of proc.stdout as ReadableStream<Uint8Array>) out += new TextDecoder().decode(chunk);
      return JSON.parse(out.trim().split('\n').at(-1)!) as { last: string[]; code: number; received: number };
    },
  };
}
