import { api, unwrap } from "../../api/client";
import { type Query, useQuery } from "../../lib/useQuery";
import type { Suggestions } from "./matrix";

/** How many recent suggest jobs are searched for one of this mapping. */
const RECENT = 20;

function mappingIdOf(params: Record<string, unknown>): number | undefined {
  const ref = params.mapping;
  if (typeof ref !== "object" || ref === null) return undefined;
  const id = (ref as Record<string, unknown>).mapping_id;
  return typeof id === "number" ? id : undefined;
}

/** The newest succeeded `suggest` job for this mapping and its result (null: none yet). */
export function useSuggestions(mappingId: number): Query<Suggestions | null> {
  return useQuery(async () => {
    const jobs = await unwrap(api.GET("/api/jobs", { params: { query: { kind: "suggest", status: "succeeded", limit: RECENT } } }));
    const job = jobs.items.find((j) => mappingIdOf(j.params) === mappingId);
    if (!job) return null;
    return unwrap(api.GET("/api/jobs/{job_id}/suggestions", { params: { path: { job_id: job.id } } }));
  }, [mappingId]);
}
