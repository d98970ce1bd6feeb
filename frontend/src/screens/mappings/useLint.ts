import { useEffect, useRef, useState } from "preact/hooks";
import { api, errorText, unwrap } from "../../api/client";
import type { Finding } from "./lint";
import type { Row } from "./rows";

/** Lints the draft on the server shortly after each edit; older answers are dropped. */
export function useLint(extra: string, source: string, rows: Row[]): { findings?: Finding[]; error?: string } {
  const [state, setState] = useState<{ findings?: Finding[]; error?: string }>({});
  const seq = useRef(0);
  useEffect(() => {
    const mine = ++seq.current;
    const timer = setTimeout(() => {
      unwrap(api.POST("/api/mappings/lint", { body: { extra_taxonomy: extra, source_taxonomy: source, rows } })).then(
        (r) => mine === seq.current && setState({ findings: r.findings as Finding[] }),
        (e) => mine === seq.current && setState({ error: errorText(e) }),
      );
    }, 250);
    return () => clearTimeout(timer);
  }, [extra, source, rows]);
  return state;
}
