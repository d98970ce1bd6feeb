// GET /api/jobs/{job_id}/epochs, a train job's per-epoch metrics. The route is not in the
// OpenAPI document yet (it is being added beside the trainer); this file is the one place
// that reads it: once it is, these types become `Schemas["…"]` and the fetch `api.GET`.
import { ApiError, USER_KEY } from "./client";

export interface ValScore {
  miou: number | null;
  per_class: Record<string, number | null>;
}

export interface EpochRead {
  epoch: number;
  phase: "train" | "fine_tune";
  loss: number | null;
  /** Learning rate per parameter group (encoder, head, …). */
  lrs: Record<string, number>;
  /** Scores per validation set, by its name. */
  val: Record<string, ValScore>;
  fitness: number | null;
  improved: boolean;
  seconds: number;
  time: string;
}

export interface EpochList {
  items: EpochRead[];
  total: number;
}

/** A train job's epochs so far; an empty list where the server has none to give (404). */
export async function fetchEpochs(jobId: number): Promise<EpochList> {
  let response: Response;
  try {
    response = await fetch(`/api/jobs/${jobId}/epochs`, { headers: { "X-Ontolabel-User": localStorage.getItem(USER_KEY) ?? "local" } });
  } catch (e) {
    throw new ApiError(0, { detail: `Cannot reach the server: ${String(e)}` });
  }
  if (response.status === 404) return { items: [], total: 0 };
  const body: unknown = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, body as Record<string, unknown>);
  return body as EpochList;
}
