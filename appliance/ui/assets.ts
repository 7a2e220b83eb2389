/**
 * @module The dashboard's files for this process: built from ui/app once, on first use, when running
 * from source. The compiled binary replaces this module at build time with one that returns the
 * files built and embedded by scripts/build.ts (see the fovea-ui plugin there).
 */
import { buildUi, type UiBundle } from './bundle';

let built: Promise<UiBundle> | null = null;

export function uiBundle(): Promise<UiBundle> {
  built ??= buildUi();
  return built;
}
