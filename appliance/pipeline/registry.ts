/**
 * @module The stage registry: an explicit table from `type@version` to its definition. Pipelines
 * can only use what is listed here (no discovery on disk: that would not survive bun --compile).
 * A new version of a stage is a new row; old rows stay so pinned pipelines keep working.
 */
import type { StageDef } from './types';
import { preprocessStage } from './stages/preprocess';
import { detectStage } from './stages/detect';
import { filterStage } from './stages/filter';
import { trackStage } from './stages/track';
import { eventStage } from './stages/event';
import { storeStage } from './stages/store';
import { embedStage } from './stages/embed';
import { publishStage } from './stages/publish';
import { classifyStage } from './stages/classify';
import { annotateStage } from './stages/annotate';
import { motionStage } from './stages/motion';
import { stateStage } from './stages/state';
import { ocrStage } from './stages/ocr';

const all: StageDef[] = [
  preprocessStage,
  detectStage,
  filterStage,
  trackStage,
  embedStage,
  eventStage,
  storeStage,
  publishStage,
  classifyStage,
  annotateStage,
  motionStage,
  stateStage,
  ocrStage,
] as unknown as StageDef[];

export const registry: ReadonlyMap<string, StageDef> = new Map(all.map((d) => [`${d.type}@${d.version}`, d]));

/** `type` or `type@version`; a bare type means its highest version. */
export function lookupStage(ref: string): StageDef | null {
  if (ref.includes('@')) return registry.get(ref) ?? null;
  return all.filter((d) => d.type === ref).sort((a, b) => b.version - a.version)[0] ?? null;
}

export const stageRefs = () => [...registry.keys()];
