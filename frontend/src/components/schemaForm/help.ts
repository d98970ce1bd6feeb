import type { FieldSpec, JsonSchema } from "../../lib/jsonSchema";

// Ids are capped at the database's integer range: a bound nobody needs to read.
const TECHNICAL = 2 ** 31 - 1;

/** Bounds as a person reads them: "0 – 1", "> 0", "≤ 64". */
function bounds(s: JsonSchema): string {
  const max = s.maximum !== undefined && s.maximum < TECHNICAL ? s.maximum : undefined;
  if (s.minimum !== undefined && max !== undefined) return `${s.minimum} – ${max}`;
  const low = s.exclusiveMinimum !== undefined ? `> ${s.exclusiveMinimum}` : s.minimum !== undefined ? `≥ ${s.minimum}` : "";
  const high = s.exclusiveMaximum !== undefined ? `< ${s.exclusiveMaximum}` : max !== undefined ? `≤ ${max}` : "";
  return [low, high].filter(Boolean).join(", ");
}

/** A docstring as help text: reST's ``literal`` marks read as plain words. */
export const plain = (text?: string) => text?.replace(/``([^`]+)``/g, "$1");

function shownDefault(v: unknown): string {
  if (v === undefined || v === null) return "";
  if (Array.isArray(v)) return v.every((x) => typeof x !== "object") ? `default ${v.join(", ")}` : "";
  return typeof v === "object" ? "" : `default ${String(v)}`;
}

/** The help line under a field: its description, what it takes, bounds and default. */
export function helpText(spec: FieldSpec, takes?: string): string {
  return plain([spec.description, takes, bounds(spec.schema), shownDefault(spec.default)].filter(Boolean).join(" · ")) ?? "";
}
