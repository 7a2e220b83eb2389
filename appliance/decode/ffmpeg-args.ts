/**
 * @module The ffmpeg command line for one stream, built as data (unit-tested argument by argument).
 * ffmpeg samples to the pipeline's fps, scales and letterboxes to the model input, and writes raw
 * BGR/RGB frames to stdout; `showinfo` prints each frame's pts on stderr, read beside the frames.
 */
import type { Source } from './source';

export interface OutputSpec {
  width: number;
  height: number;
  pixfmt: 'bgr24' | 'rgb24';
  /** Frames per second to sample; 0 keeps the source rate. */
  fps: number;
  /** How the picture fits the output: letterbox keeps the aspect ratio and pads. */
  fit: { mode: 'letterbox'; align: 'top-left' | 'center'; pad: number } | { mode: 'stretch' };
}

export interface DecodeOptions {
  hwaccel: 'none' | 'cuda';
  /**
   * With cuda: this ffmpeg has the scale_cuda filter, so frames are sampled and scaled on the GPU
   * and only the model-sized frame is copied to system memory. Without it, NVDEC's frames are
   * copied whole and scaled on the CPU.
   */
  gpuScale?: boolean;
  /** Files: play at their native rate (as a camera would) and loop. */
  realtime: boolean;
  loop: boolean;
  /** RTSP socket timeout in seconds. */
  timeoutS: number;
  threads: number;
  /**
   * A second output: each analysed frame also as a JPEG at the source resolution, no wider than
   * this (snapshots at the camera's resolution), on fd 3. 0: none.
   */
  pictureWidth?: number;
}

/** The JPEG output beside the frames: the same sampling, the source scaled down to maxWidth at most. */
export function pictureOutput(out: OutputSpec, maxWidth: number, onGpu: boolean): string[] {
  const f: string[] = [];
  if (out.fps > 0) f.push(`fps=${out.fps}`);
  if (onGpu) f.push('hwdownload', 'format=nv12');
  f.push(`scale='min(iw,${maxWidth})':-2:flags=bilinear`);
  return ['-an', '-sn', '-dn', '-vf', f.join(','), '-c:v', 'mjpeg', '-q:v', '3', '-f', 'image2pipe', 'pipe:3'];
}

const hex2 = (n: number) => n.toString(16).padStart(2, '0');

/** The -vf chain: sample, scale to fit, pad, convert, then report each frame's pts. */
export function filterChain(out: OutputSpec): string {
  const f: string[] = [];
  if (out.fps > 0) f.push(`fps=${out.fps}`);
  if (out.fit.mode === 'letterbox') {
    const c = `0x${hex2(out.fit.pad).repeat(3)}`;
    const [x, y] = out.fit.align === 'center' ? ['(ow-iw)/2', '(oh-ih)/2'] : ['0', '0'];
    f.push(`scale=${out.width}:${out.height}:force_original_aspect_ratio=decrease:flags=bilinear`);
    f.push(`pad=${out.width}:${out.height}:${x}:${y}:color=${c}`);
  } else {
    f.push(`scale=${out.width}:${out.height}:flags=bilinear`);
  }
  f.push(`format=${out.pixfmt}`);
  f.push('showinfo');
  return f.join(',');
}

/**
 * The chain for frames that stay on the GPU (NVDEC with -hwaccel_output_format cuda): sample, scale
 * with scale_cuda (to NV12), copy to system memory, then pad and convert on the CPU as above.
 */
export function cudaFilterChain(out: OutputSpec): string {
  const f: string[] = [];
  if (out.fps > 0) f.push(`fps=${out.fps}`);
  const keep = out.fit.mode === 'letterbox' ? ':force_original_aspect_ratio=decrease' : '';
  f.push(`scale_cuda=${out.width}:${out.height}${keep}:interp_algo=bilinear:format=nv12`);
  f.push('hwdownload', 'format=nv12');
  if (out.fit.mode === 'letterbox') {
    const c = `0x${hex2(out.fit.pad).repeat(3)}`;
    const [x, y] = out.fit.align === 'center' ? ['(ow-iw)/2', '(oh-ih)/2'] : ['0', '0'];
    f.push(`pad=${out.width}:${out.height}:${x}:${y}:color=${c}`);
  }
  f.push(`format=${out.pixfmt}`);
  f.push('showinfo');
  return f.join(',');
}

/**
 * Why ffmpeg could not decode with NVDEC, from its stderr (no driver, no device, a codec the GPU
 * does not decode), or null when the exit had another cause. ffmpeg 5.1 does not fall back to the
 * CPU by itself: with -hwaccel cuda and no device it exits.
 */
export function nvdecFailure(stderr: string[]): string | null {
  const line = stderr.find((l) =>
    /Cannot load libcuda|Could not dynamically load CUDA|No device available for decoder|Device setup failed for decoder|hwaccel initiali[sz]ation returned error|Failed setup for format cuda|CUDA_ERROR_[A-Z_]+|Hardware is lacking required capabilities/.test(
      l,
    ),
  );
  return line ? line.replace(/^\[[^\]]+\]\s*/, '').trim() : null;
}

/**
 * A camera over RTSP: TCP, a socket timeout, corrupt packets dropped, and arrival time as the
 * timestamps (as Frigate does). A camera's RTP clock can jump back (a clock reset, or a server that
 * restarts its timeline when another client joins, as gst-rtsp-server does): with the camera's
 * clock, the fps filter then drops every frame until the clock catches up, and a copied jump
 * freezes or collapses a browser's picture.
 */
/** The input of an RTSP camera: over TCP, with a socket timeout, corrupt packets dropped, wall-clock timestamps. */
export function rtspInput(url: string, timeoutS: number): string[] {
  return [
    '-rtsp_transport',
    'tcp',
    '-timeout',
    String(timeoutS * 1_000_000),
    '-fflags',
    '+discardcorrupt',
    '-use_wallclock_as_timestamps',
    '1',
    '-i',
    url,
  ];
}

export function ffmpegArgs(src: Source, out: OutputSpec, o: DecodeOptions): string[] {
  const a = ['-hide_banner', '-nostdin', '-loglevel', 'info'];
  const onGpu = o.hwaccel === 'cuda' && o.gpuScale === true;
  if (o.hwaccel === 'cuda') a.push('-hwaccel', 'cuda');
  if (onGpu) a.push('-hwaccel_output_format', 'cuda');
  if (src.kind === 'rtsp') {
    a.push(...rtspInput(src.url, o.timeoutS));
  } else {
    if (o.realtime) a.push('-re');
    if (o.loop) a.push('-stream_loop', '-1');
    a.push('-i', src.path);
  }
  a.push(
    '-an',
    '-sn',
    '-dn',
    '-threads',
    String(o.threads),
    '-vf',
    onGpu ? cudaFilterChain(out) : filterChain(out),
    '-f',
    'rawvideo',
    '-pix_fmt',
    out.pixfmt,
    'pipe:1',
  );
  if (o.pictureWidth) a.push(...pictureOutput(out, o.pictureWidth, onGpu));
  return a;
}

/** The names of the filters an `ffmpeg -filters` listing shows. */
export function filtersOf(listing: string): Set<string> {
  const names = new Set<string>();
  for (const line of listing.split('\n')) {
    const m = /^\s*[T.][S.][C.]?\s+(\w+)\s+\S+->\S+/.exec(line);
    if (m) names.add(m[1]!);
  }
  return names;
}

/** A live remux for viewers: the source's own H.264 copied (no decode, no encode) into fragmented MP4. */
export interface RemuxOptions {
  /** Files: where to start (the position the analysis has reached), in seconds. */
  seekS: number | null;
  loop: boolean;
  timeoutS: number;
  /** Longest fragment in milliseconds: a fragment ends at each keyframe and at least this often. */
  fragmentMs: number;
}

export function remuxArgs(src: Source, o: RemuxOptions): string[] {
  const a = ['-hide_banner', '-nostdin', '-loglevel', 'error'];
  if (src.kind === 'rtsp') {
    a.push(...rtspInput(src.url, o.timeoutS));
  } else {
    if (o.seekS !== null && o.seekS > 0) a.push('-ss', o.seekS.toFixed(3));
    a.push('-re');
    if (o.loop) a.push('-stream_loop', '-1');
    a.push('-i', src.path);
  }
  a.push('-map', '0:v:0', '-an', '-sn', '-dn', '-c:v', 'copy', '-f', 'mp4');
  a.push('-movflags', 'empty_moov+default_base_moof+frag_keyframe', '-frag_duration', String(o.fragmentMs * 1000));
  a.push('pipe:1');
  return a;
}
