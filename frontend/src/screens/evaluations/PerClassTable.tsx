import type { Schemas } from "../../api/client";
import { count, pct } from "../../lib/format";

/** IoU and pixel counts per class: the chart's numbers, to read and to copy. */
export function PerClassTable(props: { evaluation: Schemas["EvaluationRead"] }) {
  const { class_names, per_class_iou, confusion } = props.evaluation;
  return (
    <div class="table-wrap" style={{ maxHeight: "420px" }}>
      <table class="table" data-testid="per-class">
        <thead>
          <tr>
            <th>Class</th>
            <th class="num">IoU</th>
            <th class="num">Truth px</th>
            <th class="num">Predicted px</th>
            <th class="num">Predicted ignore</th>
          </tr>
        </thead>
        <tbody>
          {class_names.map((name, i) => (
            <tr key={i}>
              <td>{name}</td>
              <td class="num">{pct(per_class_iou[i])}</td>
              <td class="num">{count(confusion[i]?.reduce((a, b) => a + b, 0))}</td>
              <td class="num">{count(confusion.reduce((sum, row) => sum + (row[i] ?? 0), 0))}</td>
              <td class="num">{count(confusion[i]?.[class_names.length])}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
