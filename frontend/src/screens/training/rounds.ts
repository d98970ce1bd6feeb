// Rounds of the method, read from the jobs: a teacher's pseudo_label jobs feed students'
// train jobs, with priors (constrained by the mapping) or without (the Naive Student).
import type { Schemas } from "../../api/client";
import type { JobParams } from "../../api/jobKinds";

type Job = Schemas["JobRead"];

export interface Student {
  job: Job;
  /** The registered student (`outputs.model_id`), once the job has finished. */
  modelId?: number;
  /** Whether its pseudo-labels were constrained by the mapping; "mixed" when only some were. */
  priors: boolean | "mixed";
}

export interface Round {
  teacherId: number;
  /** 1 for a teacher that is no one's student; its teacher's depth + 1 otherwise. */
  depth: number;
  students: Student[];
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The pseudo_label jobs a train job learns from: its `params.data[].pseudo_label_job`. */
function labelJobsOf(train: Job): number[] {
  const data = train.params.data;
  if (!Array.isArray(data)) return [];
  return data.flatMap((d) => (isRecord(d) && typeof d.pseudo_label_job === "number" ? [d.pseudo_label_job] : []));
}

const modelOf = (job: Job): number | undefined => (typeof job.outputs.model_id === "number" ? job.outputs.model_id : undefined);

/** Rounds by teacher, earliest round first. */
export function rounds(trainJobs: Job[], labelJobs: Job[]): Round[] {
  // Stored params passed this very contract when their job was created.
  const labelParams = new Map(labelJobs.map((j) => [j.id, j.params as Partial<JobParams["pseudo_label"]>]));
  const byTeacher = new Map<number, Student[]>();
  const teacherOf = new Map<number, number>();
  for (const job of trainJobs) {
    const sources = labelJobsOf(job).flatMap((id) => labelParams.get(id) ?? []);
    const teacherId = sources.find((p) => typeof p.model?.id === "number")?.model?.id;
    if (teacherId == null) continue;
    const withPriors = sources.map((p) => p.priors ?? true);
    const priors = withPriors.every(Boolean) ? true : withPriors.some(Boolean) ? "mixed" : false;
    const student: Student = { job, modelId: modelOf(job), priors };
    byTeacher.set(teacherId, [...(byTeacher.get(teacherId) ?? []), student]);
    if (student.modelId !== undefined) teacherOf.set(student.modelId, teacherId);
  }
  const depth = (model: number, seen = new Set<number>()): number => {
    const teacher = teacherOf.get(model);
    return teacher === undefined || seen.has(model) ? 1 : 1 + depth(teacher, seen.add(model));
  };
  return [...byTeacher]
    .map(([teacherId, students]) => ({ teacherId, depth: depth(teacherId), students }))
    .sort((a, b) => a.depth - b.depth || a.teacherId - b.teacherId);
}
