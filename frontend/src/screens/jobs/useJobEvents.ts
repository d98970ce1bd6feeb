import { useEffect, useState } from "preact/hooks";
import type { Schemas } from "../../api/client";

// The SSE payloads are not part of the OpenAPI schema (a stream has no response model):
// progress is a slice of JobRead; a log line is the server's JobEventRead, as sent.
type Progress = Pick<Schemas["JobRead"], "status" | "done" | "total" | "cancel_requested" | "error">;
interface LogLine {
  seq: number;
  time: string;
  level: string;
  message: string;
}

/** Follows `/api/jobs/{id}/events` (SSE): log lines as they come, the latest progress. */
export function useJobEvents(jobId: number): { lines: LogLine[]; progress?: Progress; ended: boolean } {
  const [lines, setLines] = useState<LogLine[]>([]);
  const [progress, setProgress] = useState<Progress>();
  const [ended, setEnded] = useState(false);
  useEffect(() => {
    setLines([]);
    setEnded(false);
    const source = new EventSource(`/api/jobs/${jobId}/events`);
    source.addEventListener("log", (e) => {
      const line = JSON.parse((e as MessageEvent).data) as LogLine;
      // EventSource resumes with Last-Event-ID after a reconnect; drop any repeats.
      setLines((ls) => (ls.length && ls[ls.length - 1].seq >= line.seq ? ls : [...ls, line]));
    });
    source.addEventListener("progress", (e) => setProgress(JSON.parse((e as MessageEvent).data)));
    source.addEventListener("end", (e) => {
      setProgress(JSON.parse((e as MessageEvent).data));
      setEnded(true);
      source.close();
    });
    return () => source.close();
  }, [jobId]);
  return { lines, progress, ended };
}
