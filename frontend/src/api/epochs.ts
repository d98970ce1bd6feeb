// GET /api/jobs/{job_id}/epochs, a train job's per-epoch metrics: the one place that reads it.
import { api, unwrap, type Schemas } from "./client";

export type EpochRead = Schemas["TrainEpochRead"];
export type EpochList = Schemas["TrainEpochList"];

/** A train job's epochs so far. */
export function fetchEpochs(jobId: number): Promise<EpochList> {
  return unwrap(api.GET("/api/jobs/{job_id}/epochs", { params: { path: { job_id: jobId } } }));
}
