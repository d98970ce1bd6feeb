import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, api, errorText, unwrap, type Schemas } from "../../../api/client";
import type { JobParams } from "../../../api/jobKinds";
import type { Row } from "../rows";

export type PreviewResult = Schemas["PreviewRead"];

/** The server's 404 for a frame no preview job has cached for the teacher yet. */
const NOT_CACHED = "no cached teacher probabilities";
const FINAL = ["succeeded", "failed", "cancelled"];
const DEBOUNCE_MS = 250;

export interface PreviewState {
  result?: PreviewResult;
  error?: string;
  /** No cached teacher output for this model and frame (a preview job would make it). */
  missing: boolean;
  loading: boolean;
}

/**
 * The draft's preview of one frame, asked for shortly after each edit. Only the newest
 * request's answer is shown, so a slow answer to an older draft never replaces a newer one.
 */
export function useDraftPreview(mappingId: number, modelId: number | undefined, frameId: number | undefined, rows: Row[], attempt: number): PreviewState {
  const [state, setState] = useState<PreviewState>({ missing: false, loading: false });
  const seq = useRef(0);
  const shown = useRef<string | undefined>(undefined);
  useEffect(() => {
    const mine = ++seq.current;
    if (modelId === undefined || frameId === undefined) {
      setState({ missing: false, loading: false });
      return;
    }
    const frameKey = `${modelId}/${frameId}`;
    // A new frame drops the old picture at once; an edit keeps it until the new one is there.
    if (shown.current !== frameKey) setState({ missing: false, loading: true });
    else setState((s) => ({ ...s, loading: true }));
    const timer = setTimeout(() => {
      unwrap(
        api.POST("/api/previews/{model_key}/{frame_key}", {
          params: { path: { model_key: `model-${modelId}`, frame_key: String(frameId) } },
          body: { mapping_id: mappingId, rows },
        }),
      ).then(
        (result) => {
          if (mine !== seq.current) return;
          shown.current = frameKey;
          setState({ result, missing: false, loading: false });
        },
        (e) => {
          if (mine !== seq.current) return;
          shown.current = undefined;
          const missing = e instanceof ApiError && e.status === 404 && e.message.includes(NOT_CACHED);
          setState({ error: missing ? undefined : errorText(e), missing, loading: false });
        },
      );
    }, DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [mappingId, modelId, frameId, rows, attempt]);
  return state;
}

export interface TeacherJob {
  status?: string;
  jobId?: number;
  error?: string;
  run: () => void;
}

/**
 * Queues a `preview` job for a frame (and the few after it, `ahead`) when asked (`wanted`),
 * once per model and frame, polls it, and calls `onDone` when the cache is filled.
 */
export function useTeacherJob(
  modelId: number | undefined,
  datasetId: number | undefined,
  frameId: number | undefined,
  ahead: number[],
  wanted: boolean,
  onDone: () => void,
): TeacherJob {
  const [job, setJob] = useState<{ key: string; status?: string; jobId?: number; error?: string }>();
  const tried = useRef(new Set<string>());
  const key = `${modelId}/${datasetId}/${frameId}`;
  const live = useRef(key);
  live.current = key;

  async function run() {
    if (modelId === undefined || datasetId === undefined || frameId === undefined) return;
    const mine = key;
    tried.current.add(mine);
    setJob({ key: mine, status: "queuing" });
    try {
      const params: JobParams["preview"] = { model: { id: modelId }, dataset_id: datasetId, frame_ids: [frameId, ...ahead] };
      let row = await unwrap(api.POST("/api/jobs", { body: { kind: "preview", params } }));
      while (!FINAL.includes(row.status)) {
        if (live.current === mine) setJob({ key: mine, status: row.status, jobId: row.id });
        await new Promise((done) => setTimeout(done, 500));
        row = await unwrap(api.GET("/api/jobs/{job_id}", { params: { path: { job_id: row.id } } }));
      }
      if (row.status !== "succeeded") throw new Error(row.error ?? `preview job ${row.id} ${row.status}`);
      setJob({ key: mine, status: row.status, jobId: row.id });
      if (live.current === mine) onDone();
    } catch (e) {
      setJob({ key: mine, error: errorText(e) });
    }
  }

  useEffect(() => {
    if (wanted && !tried.current.has(key)) void run();
  }, [wanted, key]);
  const mine = job?.key === key ? job : undefined;
  return { status: mine?.status, jobId: mine?.jobId, error: mine?.error, run: () => void run() };
}
