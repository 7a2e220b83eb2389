/**
 * @module Worker entry URLs. They live in this file at the appliance root on purpose: in the compiled
 * binary every module's import.meta.url is the bundle root, which is this directory's place, so a
 * path relative to this file is right both from source and from the binary. Each worker must also be
 * an entrypoint of the build (scripts/build.ts).
 */

export const ONNX_HOST_URL = new URL('./inference/onnx-host.ts', import.meta.url).href;
