/**
 * @module The reference pages that mirror code, generated from it: the configuration (the TypeBox
 * schema), the pipeline stages (the registry), the routes and who may call them (the access table),
 * the metrics (the metric registry) and the state on disk (the path descriptions). `bun
 * scripts/docs.ts` writes docs/reference/; test/unit/docs.test.ts fails when a page is not current.
 */
import { join } from 'node:path';
import type { TSchema } from '@sinclair/typebox';
import { Config } from '../appliance/config/schema';
import { PATH_DOCS } from '../appliance/config/paths';
import { registry } from '../appliance/pipeline/registry';
import { ACCESS, type Need } from '../appliance/api/access';
import { ROLE_SCOPES, ROLES } from '../appliance/auth/roles';
import { Metrics } from '../appliance/metrics/prom';

const HEADER = (title: string, source: string) =>
  `# ${title}\n\n<!-- Generated from ${source} by \`bun scripts/docs.ts\`; do not edit by hand (a test checks it is current). -->\n\n`;
const cell = (s: unknown) =>
  String(s ?? '')
    .replace(/\|/g, '\\|')
    .replace(/\n/g, ' ');
const code = (v: unknown) => (v === undefined ? '' : `\`${JSON.stringify(v)}\``);

interface Schema extends Record<string, unknown> {
  type?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  anyOf?: Schema[];
  enum?: unknown[];
  const?: unknown;
  description?: string;
  default?: unknown;
}

function typeOf(s: Schema): string {
  if (s.anyOf) return s.anyOf.map(typeOf).join(' \\| ');
  if (s.const !== undefined) return code(s.const);
  if (s.enum) return s.enum.map(code).join(' \\| ');
  if (s.type === 'array') return `${typeOf(s.items ?? {})}[]`;
  return s.type ?? 'any';
}

function bounds(s: Schema): string {
  const b: string[] = [];
  for (const [k, sym] of [
    ['minimum', '≥'],
    ['maximum', '≤'],
    ['exclusiveMinimum', '>'],
    ['exclusiveMaximum', '<'],
    ['minLength', 'length ≥'],
    ['maxLength', 'length ≤'],
    ['minItems', 'items ≥'],
    ['maxItems', 'items ≤'],
  ] as const) {
    if (s[k] !== undefined) b.push(`${sym} ${s[k]}`);
  }
  if (s.pattern) b.push(`matches \`${s.pattern}\``);
  return b.join(', ');
}

/** One row per leaf key (objects recurse; arrays of objects recurse under `key[]`). */
function configRows(s: Schema, path: string, out: string[]): void {
  const props = s.properties;
  if (props && s.type === 'object') {
    if (path) out.push(`| \`${path}\` | object | | | ${cell(s.description)} |`);
    for (const [k, v] of Object.entries(props)) if (k !== '$schema') configRows(v, path ? `${path}.${k}` : k, out);
    return;
  }
  if (s.type === 'array' && s.items?.type === 'object' && s.items.properties) {
    out.push(`| \`${path}\` | object[] | ${code(s.default)} | ${bounds(s)} | ${cell(s.description)} |`);
    configRows(s.items, `${path}[]`, out);
    return;
  }
  out.push(`| \`${path}\` | ${typeOf(s)} | ${code(s.default)} | ${cell(bounds(s))} | ${cell(s.description)} |`);
}

export function configPage(): string {
  const rows: string[] = [];
  configRows(Config as unknown as Schema, '', rows);
  return `${HEADER('Configuration reference', 'appliance/config/schema.ts')}Every key of the YAML config file, with its type, default, bounds and meaning. Any key can also be set
from the environment as \`FOVEA_\` plus its path in upper snake case (\`api.port\` → \`FOVEA_API_PORT\`).
See [configuration](../configuration.md) for how the file is loaded and checked.

| key | type | default | bounds | what |
|---|---|---|---|---|
${rows.join('\n')}
`;
}

export function stagesPage(): string {
  const parts = [...registry.entries()].map(([ref, def]) => {
    const rows: string[] = [];
    for (const [k, v] of Object.entries((def.options as TSchema & Schema).properties ?? {})) {
      const o = v as Schema;
      rows.push(`| \`${k}\` | ${typeOf(o)} | ${code(o.default)} | ${cell(bounds(o))} | ${cell(o.description)} |`);
    }
    const table = rows.length
      ? `| option | type | default | bounds | what |\n|---|---|---|---|---|\n${rows.join('\n')}\n`
      : 'No options.\n';
    return `## \`${ref}\`${def.concurrent ? ' (runs may overlap)' : ''}\n\n${def.description}\n\n${table}`;
  });
  return `${HEADER('Pipeline stages', 'appliance/pipeline/registry.ts')}The stages a pipeline file may use, each as \`type@version\` (a bare \`type\` means its highest version).
See [video and pipelines](../video.md) for how stages are put together.

${parts.join('\n')}`;
}

function who(need: Need): string {
  if (need === 'public') return 'anyone';
  if (need === 'user') return 'any signed-in caller';
  if (need === 'signup') return 'anyone on an empty box (the first admin), then `users:admin`';
  const roles = ROLES.filter((r) => ROLE_SCOPES[r].includes(need.scope));
  return `\`${need.scope}\`: ${roles.join(', ')}${need.publicRead ? '; anyone with `api.public_read`' : ''}`;
}

export function routesPage(): string {
  const rows = ACCESS.map((r) => `| ${r.method} | \`${r.path}\` | ${who(r.need)} |`);
  return `${HEADER('Routes and access', 'appliance/api/access.ts')}Every route of the API and who may call it: the scope it needs and the roles that have that scope. The
auth guard enforces this table before a body is read (401 without a valid credential, 403 without the
scope). The request and answer shapes are in the OpenAPI document at \`/openapi.json\`.

| method | path | who may call |
|---|---|---|
${rows.join('\n')}
`;
}

export function metricsPage(): string {
  const own = new Metrics().registry
    .getMetricsAsArray()
    .filter((m) => !/^fovea_(process_|nodejs_)/.test(m.name))
    .sort((a, b) => a.name.localeCompare(b.name));
  const rows = own.map((m) => {
    const labels = (m as unknown as { labelNames?: string[] }).labelNames ?? [];
    const kind = (m as unknown as { type?: string }).type ?? m.constructor.name.toLowerCase();
    return `| \`${m.name}\` | ${kind} | ${labels.join(', ')} | ${cell(m.help)} |`;
  });
  return `${HEADER('Metrics', 'appliance/metrics/prom.ts')}What \`GET /metrics\` exposes (Prometheus text format). Besides these, prom-client's process and runtime
metrics are there under \`fovea_process_*\` and \`fovea_nodejs_*\` (CPU seconds, resident memory, open files,
event-loop lag, heap). See [operations](../operations.md#metrics) for alerting.

| metric | type | labels | what |
|---|---|---|---|
${rows.join('\n')}
`;
}

export function statePage(): string {
  const rows = Object.entries(PATH_DOCS).map(
    ([k, d]) => `| \`${k}\` | ${d.key ? `\`${d.key}\`` : ''} | ${cell(d.what)} |`,
  );
  return `${HEADER('State on disk', 'appliance/config/paths.ts')}What a box keeps, all under \`state_dir\` unless the key named moves it. Back up with \`fovea backup\`, not by
copying files of a running box.

| path (in \`Paths\`) | moved by | what |
|---|---|---|
${rows.join('\n')}
`;
}

export const PAGES: Record<string, () => string> = {
  'configuration.md': configPage,
  'stages.md': stagesPage,
  'routes.md': routesPage,
  'metrics.md': metricsPage,
  'state.md': statePage,
};

export const REFERENCE_DIR = join(import.meta.dir, '../docs/reference');

if (import.meta.main) {
  for (const [file, page] of Object.entries(PAGES)) await Bun.write(join(REFERENCE_DIR, file), page());
  console.log(`wrote ${Object.keys(PAGES).length} pages to docs/reference/`);
}
