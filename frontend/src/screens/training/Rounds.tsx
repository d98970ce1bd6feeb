import { api, type Schemas, unwrap } from "../../api/client";
import { Async } from "../../components/Async";
import { Page } from "../../components/Page";
import { pct } from "../../lib/format";
import { href } from "../../lib/router";
import { useQuery } from "../../lib/useQuery";
import { JobStatus } from "../jobs/JobStatus";
import { useNames } from "../models/useNames";
import { type Round, rounds, type Student } from "./rounds";
import { useLatestEvaluations } from "./useLatestEvaluations";

type Latest = Map<number, Schemas["EvaluationRead"] | undefined>;

/** `#/training`: each teacher and its students with and without priors, with their mIoU. */
export function Rounds() {
  const q = useQuery(async () => {
    const [train, labelled] = await Promise.all([
      unwrap(api.GET("/api/jobs", { params: { query: { kind: "train", limit: 500 } } })),
      unwrap(api.GET("/api/jobs", { params: { query: { kind: "pseudo_label", limit: 500 } } })),
    ]);
    return rounds(train.items, labelled.items);
  }, []);
  const models = (q.data ?? []).flatMap((r) => [r.teacherId, ...r.students.flatMap((s) => (s.modelId ? [s.modelId] : []))]);
  const latest = useLatestEvaluations(models);
  const names = useNames();
  return (
    <Page
      title="Training rounds"
      subtitle="A teacher pseudo-labels the extra data, with the mapping's priors or without (Naive Student); students train on it and may teach the next round."
      actions={
        <a class="btn" href={href("training/compare")}>
          Compare runs
        </a>
      }
    >
      <Async q={q} isEmpty={(d) => d.length === 0} empty="No students yet: a train job whose data names pseudo_label jobs is one.">
        {(rs) => (
          <div class="table-wrap">
            <table class="table" data-testid="rounds-table">
              <thead>
                <tr>
                  <th class="num">Round</th>
                  <th>Teacher</th>
                  <th>Students with priors</th>
                  <th>Students without priors</th>
                </tr>
              </thead>
              <tbody>
                {rs.map((r) => (
                  <RoundRow key={r.teacherId} round={r} latest={latest.data ?? new Map()} name={names.model} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Async>
    </Page>
  );
}

function RoundRow(props: { round: Round; latest: Latest; name: (id?: number) => string | undefined }) {
  const { round, latest } = props;
  const teacherMiou = latest.get(round.teacherId)?.mean_iou;
  // A student of partly constrained labels sits with priors, marked as such.
  const column = (priors: boolean) => round.students.filter((s) => (priors ? s.priors !== false : s.priors === false));
  return (
    <tr data-testid={`round-${round.teacherId}`}>
      <td class="num">{round.depth}</td>
      <td>
        <a href={href(`models/${round.teacherId}`)}>{props.name(round.teacherId) ?? `model #${round.teacherId}`}</a>
        <div class="small">{pct(teacherMiou)} mIoU</div>
      </td>
      {[true, false].map((priors) => (
        <td key={String(priors)} data-testid={priors ? "with-priors" : "without-priors"}>
          {column(priors).map((s) => (
            <StudentEntry key={s.job.id} student={s} miou={s.modelId ? latest.get(s.modelId)?.mean_iou : undefined} teacherMiou={teacherMiou} name={props.name} />
          ))}
        </td>
      ))}
    </tr>
  );
}

function StudentEntry(props: { student: Student; miou?: number | null; teacherMiou?: number | null; name: (id?: number) => string | undefined }) {
  const { student, miou, teacherMiou } = props;
  const gain = miou != null && teacherMiou != null ? (miou - teacherMiou) * 100 : undefined;
  return (
    <div class="student">
      {student.modelId ? (
        <a href={href(`models/${student.modelId}`)}>{props.name(student.modelId) ?? `model #${student.modelId}`}</a>
      ) : (
        <JobStatus job={student.job} />
      )}{" "}
      <a class="muted small" href={href(`jobs/${student.job.id}`)}>
        train #{student.job.id}
      </a>
      {student.priors === "mixed" && <span class="badge warning">some data without priors</span>}
      <div class="small">
        {pct(miou)} mIoU
        {gain !== undefined && <span class={gain >= 0 ? "gain" : "loss"}> ({gain >= 0 ? "+" : ""}{gain.toFixed(1)})</span>}
        {student.modelId && (
          <a class="btn small" style={{ marginLeft: "8px" }} href={href("jobs/new", { kind: "pseudo_label", model_id: student.modelId })}>
            Use as teacher
          </a>
        )}
      </div>
    </div>
  );
}
