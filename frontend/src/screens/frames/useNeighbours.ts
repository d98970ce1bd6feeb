import { type FrameItem, type FrameRule, fetchFrames, ruleQuery } from "../datasets/frameRule";
import { navigate } from "../../lib/router";
import { useQuery } from "../../lib/useQuery";

export interface Neighbours {
  /** This frame's place in the sample (from the grid link), and how many the sample holds. */
  index: number | undefined;
  total: number | undefined;
  previous: FrameItem | undefined;
  next: FrameItem | undefined;
  go: (step: 1 | -1) => Promise<void>;
}

/** The frames before and after this one in the rule's list it was opened from (`?i=`):
 * offset i±1, limit 1, with the same rule. */
export function useNeighbours(datasetId: number | undefined, rule: FrameRule, index: number | undefined): Neighbours {
  const key = new URLSearchParams(ruleQuery(rule)).toString();
  const q = useQuery(async () => {
    if (datasetId === undefined || index === undefined) return undefined;
    const [before, after] = await Promise.all([
      index > 0 ? fetchFrames(datasetId, rule, index - 1, 1) : undefined,
      fetchFrames(datasetId, rule, index + 1, 1),
    ]);
    return { previous: before?.items[0], next: after.items[0], total: after.total, for: `${datasetId}:${key}:${index}` };
  }, [datasetId, key, index]);
  // Until the effect of new deps runs, the query still holds the last frame's neighbours.
  const found = q.data?.for === `${datasetId}:${key}:${index}` ? q.data : undefined;
  // A key pressed before the neighbours are back asks for the one it needs itself.
  const go = async (step: 1 | -1) => {
    if (datasetId === undefined || index === undefined || index + step < 0) return;
    const known = step > 0 ? found?.next : found?.previous;
    const target = known ?? (await fetchFrames(datasetId, rule, index + step, 1)).items[0];
    if (target) navigate(`frames/${target.id}`, { ...ruleQuery(rule), i: index + step });
  };
  return { index, total: found?.total, previous: found?.previous, next: found?.next, go };
}
