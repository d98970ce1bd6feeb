// The typed API client: paths and schemas come from the generated `schema.d.ts` only.
import createClient from "openapi-fetch";
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];

// The browser signs in with a session cookie (HttpOnly, set by POST /api/auth/login); a
// write must also echo the readable CSRF cookie in X-CSRF-Token, which a page of another
// origin cannot read. In the server's local mode neither is needed and both are ignored.
export const CSRF_COOKIE = "ontolabel_csrf";
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
/** Dispatched on `window` when the API answers 401: the sign-in ended (or never began). */
export const SIGNED_OUT_EVENT = "ontolabel:signed-out";

export function csrfToken(): string | null {
  const found = document.cookie.split("; ").find((c) => c.startsWith(`${CSRF_COOKIE}=`));
  return found ? decodeURIComponent(found.slice(CSRF_COOKIE.length + 1)) : null;
}

export const api = createClient<paths>({ baseUrl: "", credentials: "same-origin" });

api.use({
  onRequest({ request }) {
    const csrf = csrfToken();
    if (csrf && !SAFE_METHODS.has(request.method)) request.headers.set("X-CSRF-Token", csrf);
    return request;
  },
  onResponse({ request, response }) {
    if (response.status === 401 && !new URL(request.url).pathname.startsWith("/api/auth/")) {
      window.dispatchEvent(new Event(SIGNED_OUT_EVENT));
    }
    return response;
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
