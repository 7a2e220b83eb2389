/**
 * @module systemd's notify protocol (sd_notify(3)): READY=1 once the API serves, WATCHDOG=1 at half
 * of WatchdogSec while the event loop turns, STATUS= with a line for `systemctl status`, STOPPING=1.
 * The message is one datagram to the unix socket in $NOTIFY_SOCKET; neither Bun nor Node has unix
 * datagram sockets, so the three libc calls go through bun:ffi. Without $NOTIFY_SOCKET (not under
 * systemd) every call does nothing.
 */
import { dlopen, FFIType, ptr } from 'bun:ffi';

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;

let libc: ReturnType<typeof open> | null = null;
function open() {
  return dlopen('libc.so.6', {
    socket: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
    sendto: {
      args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i32, FFIType.ptr, FFIType.u32],
      returns: FFIType.i64,
    },
    close: { args: [FFIType.i32], returns: FFIType.i32 },
  }).symbols;
}

/** struct sockaddr_un for a path, or an abstract name (written '@name' in $NOTIFY_SOCKET). */
export function sockaddrUn(path: string): Uint8Array {
  const name = Buffer.from(path.startsWith('@') ? `\0${path.slice(1)}` : path);
  if (name.length > 107) throw new Error(`NOTIFY_SOCKET path too long (${name.length} bytes)`);
  const addr = new Uint8Array(2 + name.length + (path.startsWith('@') ? 0 : 1));
  new DataView(addr.buffer).setUint16(0, AF_UNIX, true);
  addr.set(name, 2);
  return addr;
}

/** Send one notify message; false when there is no socket to send to or the send failed. */
export function sdNotify(message: string, env: Record<string, string | undefined> = process.env): boolean {
  const path = env.NOTIFY_SOCKET;
  if (!path) return false;
  libc ??= open();
  const fd = libc.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  try {
    const msg = Buffer.from(message);
    const addr = sockaddrUn(path);
    return Number(libc.sendto(fd, ptr(msg), msg.length, 0, ptr(addr), addr.length)) === msg.length;
  } finally {
    libc.close(fd);
  }
}

/** The watchdog interval systemd asks for (WATCHDOG_USEC, for this PID), in ms; null when none. */
export function watchdogMs(env: Record<string, string | undefined> = process.env, pid = process.pid): number | null {
  const usec = Number(env.WATCHDOG_USEC);
  if (!Number.isFinite(usec) || usec <= 0) return null;
  if (env.WATCHDOG_PID && Number(env.WATCHDOG_PID) !== pid) return null;
  return Math.floor(usec / 1000);
}
