// The JSON Schema that pydantic writes into the OpenAPI document, read the way the
// forms built from it (components/schemaForm) need: which widget, what starts filled in.

/** The subset of JSON Schema (2020-12, as in OpenAPI 3.1) that pydantic emits. */
export interface JsonSchema {
  $ref?: string;
  type?: string;
  title?: string;
  description?: string;
  default?: unknown;
  const?: unknown;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  prefixItems?: JsonSchema[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
}

/** A schema and the named components its `$ref`s point into. */
export interface SchemaSet {
  root: string;
  schemas: Record<string, JsonSchema>;
}

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };
export type Path = (string | number)[];

export type Widget = "object" | "objects" | "list" | "enum" | "const" | "boolean" | "number" | "integer" | "string" | "json";

/** One property as a form shows it: its own schema with `null` and `$ref` taken away. */
export interface FieldSpec {
  schema: JsonSchema;
  widget: Widget;
  nullable: boolean;
  title?: string;
  description?: string;
  default?: unknown;
}

const REF = "#/components/schemas/";

/** `schema` with its `$ref` followed; the referring side's keys (description, default) win. */
function deref(schema: JsonSchema, defs: Record<string, JsonSchema>): JsonSchema {
  if (!schema.$ref) return schema;
  const { $ref, ...own } = schema;
  const target = defs[$ref.replace(REF, "")];
  if (!target) throw new Error(`schema ${$ref} is not in the generated job schemas`);
  return { ...deref(target, defs), ...own };
}

/** Reads a property: `X | None` becomes a nullable X; titles and help come from either side. */
export function fieldSpec(property: JsonSchema, defs: Record<string, JsonSchema>): FieldSpec {
  const outer = deref(property, defs);
  const branches = outer.anyOf ?? outer.oneOf;
  const nonNull = branches?.filter((b) => b.type !== "null") ?? [outer];
  const nullable = !!branches && nonNull.length < branches.length;
  // A union of several shapes has no one form: it is edited as JSON.
  const schema = nonNull.length === 1 ? deref(nonNull[0], defs) : outer;
  return {
    schema,
    widget: nonNull.length === 1 ? widgetOf(schema, defs) : "json",
    nullable,
    // A `$ref`'s own title is its class name ("ModelRef"): only the property's is a label.
    title: property.title,
    description: outer.description ?? schema.description,
    default: outer.default,
  };
}

function widgetOf(schema: JsonSchema, defs: Record<string, JsonSchema>): Widget {
  if (schema.const !== undefined) return "const";
  if (schema.enum) return "enum";
  switch (schema.type) {
    case "object":
      return schema.properties ? "object" : "json";
    case "array": {
      const items = schema.prefixItems?.[0] ?? schema.items;
      const item = items ? deref(items, defs) : undefined;
      if (item?.properties) return "objects";
      return item && ["number", "integer", "string"].includes(item.type ?? "") ? "list" : "json";
    }
    case "boolean":
    case "number":
    case "integer":
    case "string":
      return schema.type;
  }
  return "json";
}

/** The item schema of a list or of an array of objects (a tuple's slots share one type here). */
export function itemSchema(schema: JsonSchema, defs: Record<string, JsonSchema>): JsonSchema {
  return deref(schema.prefixItems?.[0] ?? schema.items ?? {}, defs);
}

const clone = <T>(v: T): T => structuredClone(v);

/**
 * What an object's form starts with: every default, written out (a nested object's default
 * can differ from its class's, as `tta` does per kind); required objects and arrays of
 * objects built from their schema; nullable fields and fields without a default unset.
 */
export function initialObject(schema: JsonSchema, defs: Record<string, JsonSchema>): JsonObject {
  const out: JsonObject = {};
  const required = new Set(schema.required ?? []);
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    const spec = fieldSpec(property, defs);
    const start = initialField(spec, required.has(name), defs);
    if (start !== undefined) out[name] = start;
  }
  return out;
}

function initialField(spec: FieldSpec, required: boolean, defs: Record<string, JsonSchema>): Json | undefined {
  if (spec.default !== undefined && spec.default !== null) return clone(spec.default as Json);
  if (spec.widget === "const") return spec.schema.const as Json;
  if (!required || spec.nullable) return undefined;
  if (spec.widget === "object") return initialObject(spec.schema, defs);
  if (spec.widget === "objects") {
    const item = itemSchema(spec.schema, defs);
    return Array.from({ length: spec.schema.minItems ?? 0 }, () => initialObject(item, defs));
  }
  return undefined;
}

/** The field at `path` below an object schema, if the schema has one there. */
export function fieldAt(schema: JsonSchema, path: Path, defs: Record<string, JsonSchema>): FieldSpec | undefined {
  let current: FieldSpec = { schema, widget: "object", nullable: false };
  for (const part of path) {
    if (typeof part === "number") {
      if (current.widget !== "objects") return undefined;
      current = { schema: itemSchema(current.schema, defs), widget: "object", nullable: false };
      continue;
    }
    const property = current.schema.properties?.[part];
    if (!property) return undefined;
    current = fieldSpec(property, defs);
  }
  return current;
}

/** `value` with `path` set to `v` (`undefined` removes it), creating objects on the way. */
export function setIn(value: Json | undefined, path: Path, v: Json | undefined): Json | undefined {
  if (!path.length) return v;
  const [head, ...rest] = path;
  if (typeof head === "number") {
    const list = Array.isArray(value) ? [...value] : [];
    list[head] = setIn(list[head], rest, v) ?? null;
    return list;
  }
  const obj: JsonObject = value && typeof value === "object" && !Array.isArray(value) ? { ...value } : {};
  const next = setIn(obj[head], rest, v);
  if (next === undefined) delete obj[head];
  else obj[head] = next;
  return obj;
}

export const pathKey = (path: Path): string => path.join(".");
