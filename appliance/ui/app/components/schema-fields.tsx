/**
 * @module Form fields generated from a stage's options JSON Schema (as GET /api/stages gives it):
 * numbers and integers with their bounds, booleans, enums as selects, strings; lists and objects
 * are left to the YAML. A field's value starts at what the pipeline sets (or the schema default);
 * only the fields a person changes become overrides (`stage.option`).
 */

export interface JsonSchema {
  type?: string;
  description?: string;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  anyOf?: Array<{ const?: unknown; type?: string }>;
  properties?: Record<string, JsonSchema>;
}

/** The options a form can offer: primitives and enums. */
export function editable(schema: JsonSchema): Array<[string, JsonSchema]> {
  return Object.entries(schema.properties ?? {}).filter(
    ([, s]) =>
      ['number', 'integer', 'boolean', 'string'].includes(s.type ?? '') ||
      (s.anyOf?.every((a) => a.const !== undefined) ?? false),
  );
}

/** Read a field's text back as the option's type. */
export function parseField(s: JsonSchema, raw: string | boolean): unknown {
  if (s.type === 'boolean') return raw === true || raw === 'true';
  if (s.type === 'number' || s.type === 'integer') return raw === '' ? undefined : Number(raw);
  return raw;
}

export function SchemaFields(p: {
  stage: string;
  schema: JsonSchema;
  current: Record<string, unknown>;
  overrides: Record<string, unknown>;
  onChange: (key: string, value: unknown) => void;
}) {
  const fields = editable(p.schema);
  if (!fields.length) return <p class="muted">No options to set here.</p>;
  return (
    <div class="schema-fields">
      {fields.map(([name, s]) => {
        const key = `${p.stage}.${name}`;
        const value = key in p.overrides ? p.overrides[key] : (p.current[name] ?? s.default);
        const id = `opt-${p.stage}-${name}`;
        const set = (raw: string | boolean) => p.onChange(key, parseField(s, raw));
        return (
          <label key={name} for={id} title={s.description}>
            <span>
              {name}
              {key in p.overrides && <small class="changed"> changed</small>}
            </span>
            {s.type === 'boolean' ? (
              <input id={id} type="checkbox" checked={value === true} onChange={(e) => set(e.currentTarget.checked)} />
            ) : s.anyOf ? (
              <select id={id} value={String(value ?? '')} onChange={(e) => set(e.currentTarget.value)}>
                {s.anyOf.map((a) => (
                  <option key={String(a.const)} value={String(a.const)}>
                    {String(a.const)}
                  </option>
                ))}
              </select>
            ) : (
              <input
                id={id}
                type={s.type === 'string' ? 'text' : 'number'}
                step={s.type === 'integer' ? 1 : 'any'}
                min={s.minimum ?? s.exclusiveMinimum}
                max={s.maximum}
                value={value === undefined || value === null ? '' : String(value)}
                onInput={(e) => set(e.currentTarget.value)}
              />
            )}
            {s.description && <small class="muted">{s.description}</small>}
          </label>
        );
      })}
    </div>
  );
}
