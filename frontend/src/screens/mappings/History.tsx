import { useState } from "preact/hooks";
import { api, errorText, unwrap } from "../../api/client";
import { Async, ErrorBox } from "../../components/Async";
import { when } from "../../lib/format";
import { navigate, useRoute } from "../../lib/router";
import { useQuery } from "../../lib/useQuery";
import { DiffView, DiffSummary } from "./DiffView";
import { type Row, diffRows } from "./rows";

const rowsOf = async (mappingId: number, number: number): Promise<Row[]> =>
  number < 1
    ? [] // "revision 0": before the first, an empty mapping
    : (await unwrap(api.GET("/api/mappings/{mapping_id}/revisions/{number}", { params: { path: { mapping_id: mappingId, number } } }))).rows;

/** The two revisions compared, from the shareable `&from=&to=` of the hash; by default the
 * head against its predecessor. Out-of-range numbers fall back to that default. */
export function comparedPair(query: URLSearchParams, head: number): { from: number; to: number } {
  const num = (k: string) => {
    const v = query.get(k);
    const n = v === null || v === "" ? NaN : Number(v);
    return Number.isInteger(n) && n >= 0 && n <= head ? n : undefined;
  };
  const to = num("to") || head;
  return { from: num("from") ?? to - 1, to };
}

/** Every revision, newest first; pick any two ("from", "to") to see what changed between
 * them, or revert to one. The pair lives in the URL so a link shows the same diff. */
export function History(props: { mappingId: number; head: number; onReverted: () => void }) {
  const q = useQuery(
    () => unwrap(api.GET("/api/mappings/{mapping_id}/revisions", { params: { path: { mapping_id: props.mappingId } } })),
    [props.mappingId, props.head],
  );
  const route = useRoute();
  const { from, to } = comparedPair(route.query, props.head);
  const pick = (pair: { from: number; to: number }) => navigate(`mappings/${props.mappingId}`, { tab: "history", ...pair });
  const [error, setError] = useState<string>();
  async function revert(number: number) {
    setError(undefined);
    try {
      await unwrap(
        api.POST("/api/mappings/{mapping_id}/revisions/{number}/revert", {
          params: { path: { mapping_id: props.mappingId, number } },
          body: { base_revision: props.head },
        }),
      );
      props.onReverted();
    } catch (e) {
      setError(errorText(e));
    }
  }
  return (
    <div class="grid-2" style={{ gridTemplateColumns: "minmax(0, 3fr) minmax(0, 2fr)" }}>
      <div>
        {error && <ErrorBox message={error} />}
        <Async q={q}>
          {(d) => (
            <div class="table-wrap">
              <table class="table history" data-testid="history">
                <thead>
                  <tr>
                    <th class="pick" title="compare from this revision">From</th>
                    <th class="pick" title="compare up to this revision">To</th>
                    <th class="num">Rev</th>
                    <th>Message</th>
                    <th>Author</th>
                    <th>When</th>
                    <th></th>
                  </tr>
                </thead>
                <tbody>
                  {d.items.map((r) => (
                    <tr
                      key={r.number}
                      data-testid={`revision-${r.number}`}
                      class={r.number === to ? "hl" : r.number === from ? "hl-from" : ""}
                      onClick={() => pick({ from: r.number - 1, to: r.number })}
                      style={{ cursor: "pointer" }}
                    >
                      <td class="pick" onClick={(e) => e.stopPropagation()}>
                        <input
                          type="radio"
                          name="diff-from"
                          aria-label={`compare from revision ${r.number}`}
                          data-testid={`diff-from-${r.number}`}
                          checked={r.number === from}
                          onChange={() => pick({ from: r.number, to })}
                        />
                      </td>
                      <td class="pick" onClick={(e) => e.stopPropagation()}>
                        <input
                          type="radio"
                          name="diff-to"
                          aria-label={`compare to revision ${r.number}`}
                          data-testid={`diff-to-${r.number}`}
                          checked={r.number === to}
                          onChange={() => pick({ from, to: r.number })}
                        />
                      </td>
                      <td class="num mono">{r.number}</td>
                      <td>{r.message || <span class="muted">—</span>}</td>
                      <td>{r.author}</td>
                      <td class="muted" style={{ whiteSpace: "nowrap" }}>{when(r.created_at)}</td>
                      <td>
                        {r.number !== props.head && (
                          <button
                            class="btn small"
                            style={{ whiteSpace: "nowrap" }}
                            onClick={(e) => {
                              e.stopPropagation();
                              void revert(r.number);
                            }}
                          >
                            Revert to this
                          </button>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </Async>
      </div>
      <RevisionDiff mappingId={props.mappingId} from={from} to={to} />
    </div>
  );
}

function RevisionDiff(props: { mappingId: number; from: number; to: number }) {
  const q = useQuery(async () => {
    const [before, after] = await Promise.all([rowsOf(props.mappingId, props.from), rowsOf(props.mappingId, props.to)]);
    return diffRows(before, after);
  }, [props.mappingId, props.from, props.to]);
  const title = props.from === props.to - 1 ? `Revision ${props.to}` : `Revision ${props.from} → ${props.to}`;
  return (
    <div class="card" data-testid="revision-diff">
      <div class="card-head">
        <h2>{title}</h2>
        <span class="muted small" data-testid="diff-range">
          {props.from < 1 ? `revision ${props.to} against an empty mapping` : `changes from revision ${props.from} to revision ${props.to}`}
        </span>
      </div>
      <Async q={q}>
        {(changes) => (
          <>
            <DiffSummary changes={changes} />
            <DiffView changes={changes} empty={props.from === props.to ? "The same revision on both sides." : undefined} />
          </>
        )}
      </Async>
    </div>
  );
}
