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
  // Let the subscription leave, then stop reading for good (until SIGCONT).
  setTimeout(() => {
    writeSync(1, 'stopping\n');
    process.kill(process.pid, 'SIGSTOP');
  }, 30);
};
