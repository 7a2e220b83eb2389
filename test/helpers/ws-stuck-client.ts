/** See stuckClient() in ws.ts. Arguments: url, subscription JSON. */
import { writeSync } from 'node:fs';

const [url, subscription] = process.argv.slice(2) as [string, string];
const last: string[] = [];
let received = 0;
const ws = new WebSocket(url, ['json']);
ws.onmessage = (e) => {
  received++;
  last.push((JSON.parse(String(e.data)) as { event: string }).event);
  if (last.length > 3) last.shift();
};
ws.onclose = (e) => {
  writeSync(1, `${JSON.stringify({ last, code: e.code, received })}\n`);
  process.exit(0);
};
ws.onopen = () => {
  ws.send(subscription);
  // Stop reading for good (until SIGCONT) as soon as the subscription has left, before any answer
  // is read: a client that read even for a moment lets the kernel grow its receive window, and
  // then megabytes fit in the socket and the server never sees it lag.
  const stop = () => {
    if (ws.bufferedAmount > 0) return void setImmediate(stop);
    writeSync(1, 'stopping\n');
    process.kill(process.pid, 'SIGSTOP');
  };
  stop();
};
