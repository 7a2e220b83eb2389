import { describe, expect, test } from 'bun:test';
import { Metrics, type MetricSources } from '../../appliance/metrics/prom';
import { openNvml } from '../../appliance/gpu/nvml';
import { cStringOf, memoryOf, nvmlError, uintOf, utilizationOf, type GpuSample } from '../../appliance/gpu/structs';

/** Metrics over sources that are all empty but those given. */
function metricsOver(sources: Partial<MetricSources>): Metrics {
  const m = new Metrics();
  m.bind({
    streams: () => [],
    mqtt: () => null,
    retention: () => null,
    fleet: () => null,
    ws: () => null,
    gpus: () => [],
    shadows: () => [],
    pushes: () => null,
    sync: async () => null,
    files: async () => ({ db_bytes: 0, objects_bytes: 0 }),
    ...sources,
  });
  return m;
}

describe('Metrics', () => {
  test('each async source is read once per scrape, however many gauges show it', async () => {
    const calls = { sync: 0, files: 0 };
    const m = metricsOver({
      sync: async () => {
        calls.sync++;
        return { state: 'ok', pending: 3, pending_bytes: 9, oldest_pending_age_s: 4, uploaded: 7, uploaded_bytes: 1 };
      },
      files: async () => {
        calls.files++;
        return { db_bytes: 5, objects_bytes: 6 };
      },
    });
    const text = await m.text();
    await m.text();
    const v = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
    expect([
      calls,
      v('fovea_sync_pending_objects'),
      v('fovea_sync_oldest_pending_age_seconds'),
      v('fovea_sync_up'),
      v('fovea_db_file_bytes'),
      v('fovea_objects_local_bytes'),
    ]).toEqual([{ sync: 2, files: 2 }, 3, 4, 1, 5, 6]);
  });

  test('web push outcomes and what was held back, by reason; none while web push is off', async () => {
    const on = await metricsOver({
      pushes: () => ({ sent: 4, failed: 1, gone: 2, held: { quiet: 3, backoff: 1 } }),
    }).text();
    const off = await metricsOver({}).text();
    const lines = (text: string) => text.split('\n').filter((l) => l.startsWith('fovea_push_'));
    expect([lines(on), lines(off)]).toEqual([
      [
        'fovea_push_notifications_total{outcome="sent"} 4',
        'fovea_push_notifications_total{outcome="failed"} 1',
        'fovea_push_notifications_total{outcome="gone"} 2',
        'fovea_push_held_total{reason="quiet"} 3',
        'fovea_push_held_total{reason="backoff"} 1',
      ],
      [],
    ]);
  });

  test('GPU series per GPU from NVML; a box without GPUs has none, not zeros; an unread field is left out', async () => {
    const bind = (gpus: GpuSample[]) => metricsOver({ gpus: () => gpus }).text();
    const t4 = {
      index: 0,
      name: 'Tesla T4',
      utilization: 0.37,
      memoryUsedBytes: 2_000_000_000,
      memoryTotalBytes: 16_000_000_000,
      temperatureC: 61,
      decoderUtilization: null,
    };
    const withGpu = await bind([t4, { ...t4, index: 1, temperatureC: Number.NaN, decoderUtilization: 0.12 }]);
    const without = await bind([]);
    const lines = (text: string) => text.split('\n').filter((l) => l.startsWith('fovea_gpu_'));
    expect([lines(withGpu), lines(without)]).toEqual([
      [
        'fovea_gpu_utilization_ratio{gpu="0",name="Tesla T4"} 0.37',
        'fovea_gpu_utilization_ratio{gpu="1",name="Tesla T4"} 0.37',
        'fovea_gpu_memory_used_bytes{gpu="0",name="Tesla T4"} 2000000000',
        'fovea_gpu_memory_used_bytes{gpu="1",name="Tesla T4"} 2000000000',
        'fovea_gpu_memory_total_bytes{gpu="0",name="Tesla T4"} 16000000000',
        'fovea_gpu_memory_total_bytes{gpu="1",name="Tesla T4"} 16000000000',
        'fovea_gpu_temperature_celsius{gpu="0",name="Tesla T4"} 61',
        'fovea_gpu_decoder_utilization_ratio{gpu="1",name="Tesla T4"} 0.12',
      ],
      [],
    ]);
  });
});

describe('NVML', () => {
  test('the structs NVML fills in, decoded as nvml.h lays them out', () => {
    // nvmlUtilization_t {gpu 37 %, memory 12 %}; nvmlMemory_t {total, free, used}; an unsigned int; a name.
    const util = new Uint8Array(new Uint32Array([37, 12]).buffer);
    const mem = new Uint8Array(new BigUint64Array([16_106_127_360n, 14_106_127_360n, 2_000_000_000n]).buffer);
    const name = new Uint8Array(96);
    name.set(new TextEncoder().encode('NVIDIA A2'));
    expect([
      utilizationOf(util),
      memoryOf(mem),
      uintOf(new Uint8Array(new Uint32Array([61]).buffer)),
      cStringOf(name),
      nvmlError(9),
    ]).toEqual([
      { gpu: 0.37, memory: 0.12 },
      { total: 16_106_127_360, free: 14_106_127_360, used: 2_000_000_000 },
      61,
      'NVIDIA A2',
      'NVML_ERROR_DRIVER_NOT_LOADED',
    ]);
  });

  test('on this box (no NVIDIA driver) NVML is absent, saying why, and samples nothing', () => {
    const gpus = openNvml();
    expect([gpus.absent, gpus.sample()]).toEqual([
      expect.stringContaining('libnvidia-ml.so.1 could not be loaded'),
      [],
    ]);
  });
});
