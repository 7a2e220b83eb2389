/**
 * @module Native addons in the compiled binary. `bun build --compile` embeds JavaScript but not the
 * shared libraries beside the addons (libonnxruntime, libduckdb, libvips). The build (scripts/build.ts)
 * replaces this module with one that embeds those files, writes them out once to a cache directory in
 * their node_modules layout (so each addon's $ORIGIN rpath finds its library) and sets
 * FOVEA_NATIVE_DIR, which the rewritten addon loaders read. Run from source, it does nothing.
 */
export {};
