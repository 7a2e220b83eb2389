/**
 * @module The merge of fleet levels, remembering where every value came from, so a problem found in
 * the merged config points at the file and line that set it. Objects merge key by key; streams merge
 * by id; anything else (scalars, other arrays) is replaced by the later level. Pure.
 */
import { checkKey } from '../shared/keys';

/** A place in one fleet file: its name and a JSON pointer into its YAML document. */
export interface Source {
  file: string;
  at: string;
}

/** JSON pointer in the merged config -> where its value was last set. */
export type Origins = Map<string, Source>;

type Obj = Record<string, unknown>;
export const isPlain = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const esc = (k: string | number) => String(k).replace(/~/g, '~0').replace(/\//g, '~1');

function record(value: unknown, path: string, src: Source, origins: Origins): void {
  origins.set(path, src);
  if (Array.isArray(value))
    for (const [i, v] of value.entries()) record(v, `${path}/${i}`, { file: src.file, at: `${src.at}/${i}` }, origins);
  else if (isPlain(value))
    for (const [k, v] of Object.entries(value))
      record(v, `${path}/${esc(k)}`, { file: src.file, at: `${src.at}/${esc(k)}` }, origins);
}

function forget(path: string, origins: Origins): void {
  for (const k of [...origins.keys()]) if (k.startsWith(`${path}/`)) origins.delete(k);
}

/** Merge `patch` (found at `src` in its file) into `target` at `path` of the merged config. */
export function mergeInto(target: Obj, patch: Obj, path: string, src: Source, origins: Origins): void {
  origins.set(path, src);
  for (const [k, v] of Object.entries(patch)) {
    checkKey(k, `${src.file}: ${src.at}`);
    const p = `${path}/${esc(k)}`;
    const s = { file: src.file, at: `${src.at}/${esc(k)}` };
    if (isPlain(v)) {
      if (!isPlain(target[k])) {
        target[k] = {};
        forget(p, origins);
      }
      mergeInto(target[k] as Obj, v, p, s, origins);
    } else {
      target[k] = structuredClone(v);
      forget(p, origins);
      record(v, p, s, origins);
    }
  }
}

/** Merge stream entries by id: a known id merges over the earlier entry, a new one is appended. */
export function mergeStreams(target: Obj[], patch: Obj[], src: Source, origins: Origins): void {
  patch.forEach((s, i) => {
    let at = target.findIndex((t) => t.id === s.id);
    if (at < 0) {
      target.push({});
      at = target.length - 1;
    }
    mergeInto(target[at]!, s, `/streams/${at}`, { file: src.file, at: `${src.at}/${i}` }, origins);
  });
}

/** Where the value at a merged path came from: the path itself, else its nearest recorded parent. */
export function locate(origins: Origins, path: string): Source | null {
  for (let p = path; ; p = p.slice(0, p.lastIndexOf('/'))) {
    const s = origins.get(p);
    if (s) return s;
    if (p === '') return null;
  }
}
