/**
 * @module A clip of a run: the video file through the stream machinery (supervised ffmpeg, the
 * bounded queue, the same pipeline code) read as fast as inference allows, not at its native rate,
 * and not looped. Resolves when the file's last frame went through the pipeline, or when the run is
 * canceled or the box stops (the signal).
 */
import { Value } from '@sinclair/typebox/value';
import { StreamConfig } from '../config/schema';
import { StreamRunner } from '../ingest/stream';
import type { RunningPipeline } from '../pipeline/compile';
import type { OutputSpec } from '../decode/ffmpeg-args';
import type { SpawnDecoder } from '../decode/ffmpeg';
import type { Frame } from '../pipeline/types';
import type { Timers } from '../shared/timers';
import type { Logger } from '../shared/log';
import { AppError } from '../shared/errors';

export interface ClipDeps {
  spawn: SpawnDecoder;
  timers: Timers;
  log: Logger;
}

export interface ClipOutcome {
  frames: number;
  failedFrames: number;
  lastError: string | null;
}

export function runClip(
  d: ClipDeps,
  o: {
    stream: string;
    path: string;
    pipeline: RunningPipeline;
    spec: OutputSpec;
    signal: AbortSignal;
    analysed: (frame: Frame) => void;
  },
): Promise<ClipOutcome> {
  const cfg = Value.Default(StreamConfig, {
    id: o.stream,
    url: o.path,
    pipeline: o.pipeline.pipeline.name,
    realtime: false,
    loop: false,
    queue: 8,
  }) as StreamConfig;
  let frames = 0;
  return new Promise<ClipOutcome>((resolve, reject) => {
    const runner = new StreamRunner(cfg, o.pipeline, o.spec, {
      spawn: d.spawn,
      timers: d.timers,
      log: d.log,
      // A clip that ffmpeg cannot read, or that vanished, fails its item at once.
      failuresAreFinal: true,
      analysed: (f) => {
        frames++;
        o.analysed(f);
      },
      ended: () => {
        o.signal.removeEventListener('abort', abort);
        void runner.stop().then(() => {
          const f = runner.failures;
          if (f.source) reject(new AppError('unprocessable_image', `${o.path}: ${f.source}`));
          else if (frames === 0 && f.frames === 0)
            reject(new AppError('unprocessable_image', `no frame could be decoded from ${o.path}`));
          else resolve({ frames, failedFrames: f.frames, lastError: f.last });
        }, reject);
      },
    });
    const abort = () => {
      void runner.stop().then(() => reject(o.signal.reason), reject);
    };
    if (o.signal.aborted) return reject(o.signal.reason);
    o.signal.addEventListener('abort', abort, { once: true });
    runner.start();
  });
}
