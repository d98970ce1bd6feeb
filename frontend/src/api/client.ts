// The typed API client: paths and schemas come from the generated `schema.d.ts` only.
import createClient from "openapi-fetch";
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];

export const USER_KEY = "ontolabel.user";

export const api = createClient<paths>({ baseUrl: "" });

api.use({
  onRequest({ request }) {
    const user = localStorage.getItem(USER_KEY);
    if (user) request.headers.set("X-Ontolabel-User", user);
    return request;
  },
});

/** An API failure; `message` is the server's `detail`, shown to the user verbatim. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super(detailText(status, body));
  }
}

function detailText(status: number, body: Record<string, unknown>): string {
  const detail = body?.detail;
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    // FastAPI validation errors: keep each message, name the field it is about.
    return detail
      .map((d: { loc?: unknown[]; msg?: string }) =>
        [d.loc?.filter((l) => l !== "body").join("."), d.msg].filter(Boolean).join(": "),
      )
      .join("; ");
  }
  return `Request failed (HTTP ${status})`;
}

type Outcome<T> = { data?: T; error?: unknown; response: Response };

/** Resolves to the response body or throws an ApiError carrying `{"detail": ...}`. */
export async function unwrap<T>(call: Promise<Outcome<T>>): Promise<T> {
  let out: Outcome<T>;
  try {
    out = await call;
  } catch (e) {
    throw new ApiError(0, { detail: `Cannot reach the server: ${String(e)}` });
  }
  if (out.response.ok) return out.data as T;
  const body = (typeof out.error === "object" && out.error) || { detail: String(out.error ?? "") };
  throw new ApiError(out.response.status, body as Record<string, unknown>);
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
