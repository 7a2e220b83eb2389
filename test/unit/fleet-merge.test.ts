/** The fleet merge: objects key by key, streams by id, the rest replaced; every value traced to its file. */
import { describe, expect, test } from 'bun:test';
import { locate, mergeInto, mergeStreams, type Origins } from '../../appliance/fleet/merge';

describe('fleet merge', () => {
  test('objects merge key by key, arrays and scalars are replaced, and each value knows its file', () => {
    const out: Record<string, unknown> = {};
    const origins: Origins = new Map();
    mergeInto(
      out,
      { mqtt: { url: 'mqtt://a', qos: 1 }, models: { providers: ['cuda', 'cpu'] } },
      '',
      { file: 'fleet.yaml', at: '/config' },
      origins,
    );
    mergeInto(
      out,
      { mqtt: { qos: 0 }, models: { providers: ['cpu'] } },
      '',
      { file: 'devices/b.yaml', at: '/config' },
      origins,
    );
    expect(out).toEqual({ mqtt: { url: 'mqtt://a', qos: 0 }, models: { providers: ['cpu'] } });
    expect([
      locate(origins, '/mqtt/url'),
      locate(origins, '/mqtt/qos'),
      locate(origins, '/models/providers/0'),
      locate(origins, '/models/providers/1'),
    ]).toEqual([
      { file: 'fleet.yaml', at: '/config/mqtt/url' },
      { file: 'devices/b.yaml', at: '/config/mqtt/qos' },
      { file: 'devices/b.yaml', at: '/config/models/providers/0' },
      // The fleet's second provider was replaced with the whole array: the nearest parent is the device's.
      { file: 'devices/b.yaml', at: '/config/models/providers' },
    ]);
  });

  test('a scalar replaced by an object, and back, leaves no stale origins', () => {
    const out: Record<string, unknown> = {};
    const origins: Origins = new Map();
    mergeInto(out, { a: { b: 1 } }, '', { file: 'f1', at: '' }, origins);
    mergeInto(out, { a: 2 }, '', { file: 'f2', at: '' }, origins);
    expect([out, locate(origins, '/a/b')]).toEqual([{ a: 2 }, { file: 'f2', at: '/a' }]);
  });

  test('streams merge by id: a later level changes fields of an earlier entry or adds one', () => {
    const streams: Array<Record<string, unknown>> = [];
    const origins: Origins = new Map();
    mergeStreams(
      streams,
      [{ id: 'door', url: 'rtsp://x', pipeline: 'people' }],
      { file: 'groups/g.yaml', at: '/streams' },
      origins,
    );
    mergeStreams(
      streams,
      [
        { id: 'yard', url: 'rtsp://y', pipeline: 'objects' },
        { id: 'door', url: 'rtsp://10.0.0.2' },
      ],
      { file: 'devices/d.yaml', at: '/streams' },
      origins,
    );
    expect(streams).toEqual([
      { id: 'door', url: 'rtsp://10.0.0.2', pipeline: 'people' },
      { id: 'yard', url: 'rtsp://y', pipeline: 'objects' },
    ]);
    expect([
      locate(origins, '/streams/0/pipeline'),
      locate(origins, '/streams/0/url'),
      locate(origins, '/streams/1/fps'),
    ]).toEqual([
      { file: 'groups/g.yaml', at: '/streams/0/pipeline' },
      { file: 'devices/d.yaml', at: '/streams/1/url' },
      { file: 'devices/d.yaml', at: '/streams/0' },
    ]);
  });
});
