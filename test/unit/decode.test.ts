import { describe, expect, test } from 'bun:test';
import { resolveSource } from '../../appliance/decode/source';
import { cudaFilterChain, ffmpegArgs, filterChain, filtersOf, nvdecFailure } from '../../appliance/decode/ffmpeg-args';
import { FrameSplitter, parseShowinfo, RingBuffer } from '../../appliance/decode/frames';
import { classify, nextDelayS, serverAnswer } from '../../appliance/decode/backoff';

describe('resolveSource', () => {
  test('rtsp gets port 554 and credentials for ffmpeg; the display form has none', () => {
    expect(
      resolveSource({ url: 'rtsp://cam.local/stream1', auth: 'digest', username: 'admin', password: 'p@ss:w' }),
    ).toEqual({
      kind: 'rtsp',
      url: 'rtsp://admin:p%40ss%3Aw@cam.local:554/stream1',
      display: 'rtsp://cam.local:554/stream1',
    });
  });

  test('a port given is kept; a path is a file; credentials in the url are refused', () => {
    expect(resolveSource({ url: 'rtsp://10.0.0.5:8554/x', auth: 'none' })).toEqual({
      kind: 'rtsp',
      url: 'rtsp://10.0.0.5:8554/x',
      display: 'rtsp://10.0.0.5:8554/x',
    });
    expect(resolveSource({ url: '/videos/a.mp4', auth: 'none' })).toEqual({
      kind: 'file',
      path: '/videos/a.mp4',
      display: '/videos/a.mp4',
    });
    expect(() => resolveSource({ url: 'rtsp://u:p@cam/x', auth: 'basic' })).toThrow('not in the url');
    expect(() => resolveSource({ url: 'http://cam/x', auth: 'none' })).toThrow('http: is not supported');
  });
});

describe('ffmpegArgs', () => {
  const out = {
    width: 416,
    height: 416,
    pixfmt: 'bgr24' as const,
    fps: 5,
    fit: { mode: 'letterbox' as const, align: 'top-left' as const, pad: 114 },
  };

  test('rtsp over TCP with a socket timeout, sampled, letterboxed, raw BGR to stdout', () => {
    expect(
      ffmpegArgs({ kind: 'rtsp', url: 'rtsp://a:b@cam:554/s', display: '' }, out, {
        hwaccel: 'none',
        realtime: false,
        loop: false,
        timeoutS: 10,
        threads: 2,
      }),
    ).toEqual([
      '-hide_banner',
      '-nostdin',
      '-loglevel',
      'info',
      '-rtsp_transport',
      'tcp',
      '-timeout',
      '10000000',
      '-fflags',
      '+discardcorrupt',
      '-use_wallclock_as_timestamps',
      '1',
      '-i',
      'rtsp://a:b@cam:554/s',
      '-an',
      '-sn',
      '-dn',
      '-threads',
      '2',
      '-vf',
      'fps=5,scale=416:416:force_original_aspect_ratio=decrease:flags=bilinear,pad=416:416:0:0:color=0x727272,format=bgr24,showinfo',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'bgr24',
      'pipe:1',
    ]);
  });

  test('a looping file in real time with CUDA decoding', () => {
    const a = ffmpegArgs({ kind: 'file', path: '/v.mp4', display: '' }, out, {
      hwaccel: 'cuda',
      realtime: true,
      loop: true,
      timeoutS: 10,
      threads: 1,
    });
    expect(a.slice(0, 12)).toEqual([
      '-hide_banner',
      '-nostdin',
      '-loglevel',
      'info',
      '-hwaccel',
      'cuda',
      '-re',
      '-stream_loop',
      '-1',
      '-i',
      '/v.mp4',
      '-an',
    ]);
  });

  test('NVDEC with scale_cuda: frames stay on the GPU until they are model-sized', () => {
    const a = ffmpegArgs({ kind: 'rtsp', url: 'rtsp://cam/s', display: '' }, out, {
      hwaccel: 'cuda',
      gpuScale: true,
      realtime: false,
      loop: false,
      timeoutS: 10,
      threads: 2,
    });
    expect([a.slice(4, 8), a.at(a.indexOf('-vf') + 1)]).toEqual([
      ['-hwaccel', 'cuda', '-hwaccel_output_format', 'cuda'],
      'fps=5,scale_cuda=416:416:force_original_aspect_ratio=decrease:interp_algo=bilinear:format=nv12,hwdownload,format=nv12,pad=416:416:0:0:color=0x727272,format=bgr24,showinfo',
    ]);
    expect(cudaFilterChain({ ...out, fps: 0, pixfmt: 'rgb24', fit: { mode: 'stretch' } })).toBe(
      'scale_cuda=416:416:interp_algo=bilinear:format=nv12,hwdownload,format=nv12,format=rgb24,showinfo',
    );
  });

  test('NVDEC without scale_cuda: decoded on the GPU, copied whole, scaled on the CPU', () => {
    const a = ffmpegArgs({ kind: 'file', path: '/v.mp4', display: '' }, out, {
      hwaccel: 'cuda',
      gpuScale: false,
      realtime: false,
      loop: false,
      timeoutS: 10,
      threads: 2,
    });
    expect([a.includes('-hwaccel_output_format'), a.at(a.indexOf('-vf') + 1)]).toEqual([false, filterChain(out)]);
  });

  test('why NVDEC failed, read from stderr; other failures are not NVDEC', () => {
    expect([
      nvdecFailure([
        'Input #0, rtsp',
        '[AVHWDeviceContext @ 0x55] Cannot load libcuda.so.1',
        'Device creation failed: -1.',
      ]),
      nvdecFailure(['[h264 @ 0x5] No device available for decoder: device type cuda needed for codec h264.']),
      nvdecFailure(['[h264 @ 0x5] hwaccel initialisation returned error.']),
      nvdecFailure(['[rtsp @ 0x5] method DESCRIBE failed: 401 Unauthorized']),
      nvdecFailure(['Connection refused']),
    ]).toEqual([
      'Cannot load libcuda.so.1',
      'No device available for decoder: device type cuda needed for codec h264.',
      'hwaccel initialisation returned error.',
      null,
      null,
    ]);
  });

  test('snapshots at the camera resolution: a second output of JPEGs on fd 3, sampled alike, no wider than asked', () => {
    const src = { kind: 'file' as const, path: '/v.mp4', display: '/v.mp4' };
    const o = { hwaccel: 'none' as const, realtime: true, loop: false, timeoutS: 5, threads: 2 };
    const a = ffmpegArgs(src, out, { ...o, pictureWidth: 1920 });
    expect(a.slice(a.indexOf('pipe:1') + 1)).toEqual([
      '-an',
      '-sn',
      '-dn',
      '-vf',
      "fps=5,scale='min(iw,1920)':-2:flags=bilinear",
      '-c:v',
      'mjpeg',
      '-q:v',
      '3',
      '-f',
      'image2pipe',
      'pipe:3',
    ]);
    expect(ffmpegArgs(src, out, o).at(-1)).toBe('pipe:1');
    const gpu = ffmpegArgs(src, out, { ...o, hwaccel: 'cuda', gpuScale: true, pictureWidth: 1280 });
    expect(gpu[gpu.lastIndexOf('-vf') + 1]).toBe("fps=5,hwdownload,format=nv12,scale='min(iw,1280)':-2:flags=bilinear");
  });

  test('the filters of an `ffmpeg -filters` listing', () => {
    const listing = [
      'Filters:',
      '  T.. = Timeline support',
      '  .S. = Slice threading',
      ' ... abench            A->A       Benchmark part of a filtergraph.',
      ' TSC scale             V->V       Scale the input video size and/or convert the image format.',
      ' ... scale_cuda        V->V       GPU accelerated video resizer',
      ' ... buffer            |->V       Buffer video frames, and make them accessible to the filterchain.',
    ].join('\n');
    expect([...filtersOf(listing)]).toEqual(['abench', 'scale', 'scale_cuda', 'buffer']);
  });

  test('centred letterbox (NanoDet) and stretch', () => {
    expect(filterChain({ ...out, fps: 0, fit: { mode: 'letterbox', align: 'center', pad: 0 } })).toBe(
      'scale=416:416:force_original_aspect_ratio=decrease:flags=bilinear,pad=416:416:(ow-iw)/2:(oh-ih)/2:color=0x000000,format=bgr24,showinfo',
    );
    expect(filterChain({ ...out, pixfmt: 'rgb24', fit: { mode: 'stretch' } })).toBe(
      'fps=5,scale=416:416:flags=bilinear,format=rgb24,showinfo',
    );
  });
});

describe('FrameSplitter', () => {
  test('cuts arbitrary chunks into whole frames and keeps the remainder', () => {
    const s = new FrameSplitter(4);
    const a = s.push(new Uint8Array([1, 2, 3]));
    const b = s.push(new Uint8Array([4, 5, 6, 7, 8, 9, 10]));
    expect([a, b.map((f) => Array.from(f)), s.pending]).toEqual([
      [],
      [
        [1, 2, 3, 4],
        [5, 6, 7, 8],
      ],
      2,
    ]);
  });
});

test('showinfo lines give frame number and pts; other lines give null', () => {
  const line =
    '[Parsed_showinfo_4 @ 0x55d0c8a2c7c0] n:  12 pts:  61440 pts_time:4.8     duration:   5120 duration_time:0.4     fmt:bgr24';
  expect([parseShowinfo(line), parseShowinfo('frame=  12 fps=0.0 q=-0.0 size=N/A')]).toEqual([
    { n: 12, ptsS: 4.8 },
    null,
  ]);
});

test('the ring buffer keeps the last lines', () => {
  const r = new RingBuffer(2);
  for (const l of ['a', 'b', 'c']) r.push(l);
  expect(r.all).toEqual(['b', 'c']);
});

describe('backoff', () => {
  test('1, 2, 5, 10, 20, 30, 60 s, then 60 s', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, 50].map(nextDelayS)).toEqual([1, 2, 5, 10, 20, 30, 60, 60, 60]);
  });

  test('ffmpeg failures are classified from stderr, with the server answer', () => {
    const unauthorized = [
      '[rtsp @ 0x1] method DESCRIBE failed: 401 Unauthorized',
      'rtsp://***@127.0.0.1:8554/stream: Server returned 401 Unauthorized (authorization failed)',
    ];
    expect([
      classify(unauthorized, 1),
      serverAnswer(unauthorized),
      classify(['rtsp://127.0.0.1:9/x: Connection refused'], 1),
      classify(['/nope.mp4: No such file or directory'], 1),
      classify([], 0),
      classify(['odd'], 234),
    ]).toEqual(['unauthorized', '401 Unauthorized', 'unreachable', 'not_found', 'ended', 'error']);
  });
});
