import type { Schemas } from "../api/client";

/** Refused fields by form path (`options.void_threshold`, `data.0.weight`; "" is the whole form). */
export type FieldErrors = Map<string, string[]>;

/**
 * The form path a server field name points at, below `params`. The API names fields as the
 * client sent them, with the union's tag in front (`pseudo_label.params.tta.scales[0]`);
 * older and other forms (`body.train.params.data.0.weight`, `params.model.id`) read the same.
 */
function formPath(field: string): string | undefined {
  const parts = field.replace(/\[(\d+)\]/g, ".$1").split(".").filter(Boolean);
  const at = parts.indexOf("params");
  return at < 0 ? undefined : parts.slice(at + 1).join(".");
}

/** Every refused field of an error body (`errors[]`, else its one `field`), by form path. */
export function fieldErrorsOf(body: Record<string, unknown>): FieldErrors {
  const listed = Array.isArray(body.errors) ? body.errors.filter(isFieldError) : [];
  const single = typeof body.field === "string" && typeof body.detail === "string" ? [{ field: body.field, message: body.detail }] : [];
  const out: FieldErrors = new Map();
  for (const e of listed.length ? listed : single) {
    const path = formPath(e.field);
    if (path === undefined) continue;
    out.set(path, [...(out.get(path) ?? []), e.message]);
  }
  return out;
}

function isFieldError(e: unknown): e is Schemas["FieldError"] {
  return typeof e === "object" && e !== null && typeof (e as Record<string, unknown>).field === "string" && typeof (e as Record<string, unknown>).message === "string";
}

/** Messages for `key` itself, or (`below`) also for anything under it. */
export function errorsFor(errors: FieldErrors, key: string, below: boolean): string[] {
  const out: string[] = [];
  for (const [path, messages] of errors) {
    if (path === key || (below && path.startsWith(key ? `${key}.` : ""))) out.push(...messages);
  }
  return out;
}
