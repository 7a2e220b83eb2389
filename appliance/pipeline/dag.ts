/**
 * @module The pipeline graph: stages named in YAML with `needs:`. Checks that every need names a
 * stage and that there is no cycle, and gives a run order (Kahn's algorithm, file order among
 * equals so the order is stable). Pure.
 */

export interface Node {
  name: string;
  needs: string[];
}
export interface GraphProblem {
  stage: string;
  message: string;
}

export function checkGraph(nodes: Node[]): { order: string[]; problems: GraphProblem[] } {
  const problems: GraphProblem[] = [];
  const names = new Set<string>();
  for (const n of nodes) {
    if (names.has(n.name)) problems.push({ stage: n.name, message: `stage '${n.name}' is defined twice` });
    names.add(n.name);
  }
  for (const n of nodes)
    for (const need of n.needs) {
      if (!names.has(need))
        problems.push({ stage: n.name, message: `needs '${need}', which is not a stage of this pipeline` });
      if (need === n.name) problems.push({ stage: n.name, message: 'needs itself' });
    }
  if (problems.length) return { order: [], problems };
  const indegree = new Map(nodes.map((n) => [n.name, n.needs.length]));
  const order: string[] = [];
  const ready = nodes.filter((n) => n.needs.length === 0).map((n) => n.name);
  while (ready.length) {
    const name = ready.shift()!;
    order.push(name);
    for (const n of nodes) {
      if (!n.needs.includes(name)) continue;
      const left = indegree.get(n.name)! - 1;
      indegree.set(n.name, left);
      if (left === 0) ready.push(n.name);
    }
  }
  if (order.length < nodes.length) {
    const cyclic = nodes.filter((n) => !order.includes(n.name)).map((n) => n.name);
    problems.push({ stage: cyclic[0]!, message: `cycle among stages ${cyclic.join(' -> ')}` });
  }
  return { order, problems };
}
