import { useEffect, useState } from "preact/hooks";

/** The current hash route: `#/mappings/3?tab=history` → parts ["mappings","3"], query tab. */
export interface Route {
  parts: string[];
  query: URLSearchParams;
}

function parse(): Route {
  const raw = location.hash.replace(/^#\/?/, "");
  const [path, search = ""] = raw.split("?", 2);
  return { parts: path.split("/").filter(Boolean), query: new URLSearchParams(search) };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(parse);
  useEffect(() => {
    const on = () => setRoute(parse());
    addEventListener("hashchange", on);
    return () => removeEventListener("hashchange", on);
  }, []);
  return route;
}

export function href(path: string, query?: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== "") q.set(k, String(v));
  const s = q.toString();
  return `#/${path.replace(/^\//, "")}${s ? `?${s}` : ""}`;
}

export function navigate(path: string, query?: Record<string, string | number | undefined>): void {
  location.hash = href(path, query);
}
