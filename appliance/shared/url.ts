/** @module URL pieces. Pure. */

/** A listen address as it goes in a URL: IPv6 literals in brackets. */
export const urlHost = (host: string) => (host.includes(':') ? `[${host}]` : host);
