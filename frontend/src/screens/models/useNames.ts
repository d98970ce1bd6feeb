import { api, unwrap } from "../../api/client";
import { useQuery } from "../../lib/useQuery";

/** Model and taxonomy names by id, for tables that only hold the ids. */
export function useNames(): { model: (id?: number | null) => string | undefined; taxonomy: (id: number) => string | undefined } {
  const models = useQuery(() => unwrap(api.GET("/api/models", { params: { query: { limit: 1000 } } })), []);
  const taxonomies = useQuery(
    () => unwrap(api.GET("/api/taxonomies", { params: { query: { limit: 1000, include_archived: true } } })),
    [],
  );
  return {
    model: (id) => (id == null ? undefined : models.data?.items.find((m) => m.id === id)?.name),
    taxonomy: (id) => taxonomies.data?.items.find((t) => t.id === id)?.name,
  };
}
