// The org-unit tree from the flat list the core sends (children under parents, in the core's
// order), and the choices a "move" or "merge" may offer.

import type { UnitView } from "./bindings/UnitView";

export interface TreeNode {
  unit: UnitView;
  children: TreeNode[];
}

/** Builds the tree; a unit whose parent is not in the list becomes a root. */
export function buildTree(units: UnitView[]): TreeNode[] {
  const nodes = new Map<string, TreeNode>();
  for (const unit of units) nodes.set(unit.id, { unit, children: [] });
  const roots: TreeNode[] = [];
  for (const unit of units) {
    const node = nodes.get(unit.id)!;
    const parent = unit.parent_id ? nodes.get(unit.parent_id) : undefined;
    if (parent) parent.children.push(node);
    else roots.push(node);
  }
  return roots;
}

/** The ids of `id` and every unit below it. */
export function subtreeIds(units: UnitView[], id: string): Set<string> {
  const below = new Set<string>([id]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const u of units) {
      if (u.parent_id && below.has(u.parent_id) && !below.has(u.id)) {
        below.add(u.id);
        grew = true;
      }
    }
  }
  return below;
}

/** Open units that `id` may move under: not itself, nor anything below it. */
export function moveTargets(units: UnitView[], id: string): UnitView[] {
  const excluded = subtreeIds(units, id);
  return units.filter((u) => u.open && !excluded.has(u.id));
}

/** Open units that `id` may merge into: same kind, not itself or below it. */
export function mergeTargets(units: UnitView[], id: string): UnitView[] {
  const me = units.find((u) => u.id === id);
  if (!me) return [];
  const excluded = subtreeIds(units, id);
  return units.filter((u) => u.open && u.kind === me.kind && !excluded.has(u.id));
}

/** A unit's name with its parents: "Xã Tân Hòa › Chi hội Thôn 1". */
export function unitPath(units: UnitView[], id: string, skipDepth = 1): string {
  const byId = new Map(units.map((u) => [u.id, u]));
  const names: string[] = [];
  let cur = byId.get(id);
  while (cur) {
    if (cur.depth >= skipDepth) names.unshift(cur.name);
    cur = cur.parent_id ? byId.get(cur.parent_id) : undefined;
  }
  return names.join(" › ");
}
