import { api, unwrap } from "../../api/client";
import { Async } from "../../components/Async";
import { Page } from "../../components/Page";
import { count, when } from "../../lib/format";
import { href } from "../../lib/router";
import { useQuery } from "../../lib/useQuery";
import { RegisterDataset } from "./RegisterDataset";

/** Registered datasets with their frame counts and index state. */
export function DatasetList() {
  const q = useQuery(() => unwrap(api.GET("/api/datasets")), []);
  return (
    <Page title="Datasets" subtitle="Registered folder trees of frames (image + ground truth), indexed with their class histograms.">
      <RegisterDataset />
      <Async q={q} isEmpty={(d) => d.items.length === 0} empty="No datasets yet — register a folder above (or run `ontolabel demo`).">
        {(d) => (
          <div class="table-wrap">
            <table class="table" data-testid="dataset-table">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Root</th>
                  <th class="num">Frames</th>
                  <th class="num">Errors</th>
                  <th>Indexed</th>
                </tr>
              </thead>
              <tbody>
                {d.items.map((ds) => (
                  <tr key={ds.id}>
                    <td>
                      <a href={href(`datasets/${ds.id}`)}>{ds.name}</a>
                      {ds.preset && <span class="badge" style={{ marginLeft: "6px" }}>{ds.preset}</span>}
                    </td>
                    <td class="mono muted small">{ds.root}</td>
                    <td class="num">{count(ds.frame_count)}</td>
                    <td class="num">{ds.error_count ? <span class="badge error">{ds.error_count}</span> : "0"}</td>
                    <td class="muted">
                      {ds.indexed_at ? when(ds.indexed_at) : "not yet"}
                      {ds.index_job_id && (
                        <>
                          {" · "}
                          <a href={href(`jobs/${ds.index_job_id}`)}>job {ds.index_job_id}</a>
                        </>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Async>
    </Page>
  );
}
