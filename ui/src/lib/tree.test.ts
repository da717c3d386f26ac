import { describe, expect, it } from "vitest";
import type { UnitView } from "./bindings/UnitView";
import { buildTree, mergeTargets, moveTargets, unitPath } from "./tree";

function unit(id: string, parent: string | null, depth: number, kind = "branch", open = true): UnitView {
  return { id, parent_id: parent, kind, kind_name: kind, name: `U${id}`, org_code: null, depth, open, closed_on: null, merged_into: null };
}

const units = [
  unit("p", null, 0, "province"),
  unit("c", "p", 1, "commune"),
  unit("b1", "c", 2),
  unit("g1", "b1", 3, "group"),
  unit("b2", "c", 2),
  unit("b3", "c", 2, "branch", false),
];

describe("the unit tree", () => {
  it("nests children under parents in the core's order", () => {
    const [root] = buildTree(units);
    expect(root.unit.id).toBe("p");
    expect(root.children[0].children.map((n) => n.unit.id)).toEqual(["b1", "b2", "b3"]);
    expect(root.children[0].children[0].children[0].unit.id).toBe("g1");
  });

  it("makes a unit whose parent is hidden a root", () => {
    expect(buildTree(units.filter((u) => u.id !== "b1")).map((n) => n.unit.id)).toEqual(["p", "g1"]);
  });

  it("never offers to move a unit under itself or its own children", () => {
    const ids = moveTargets(units, "b1").map((u) => u.id);
    expect(ids).toEqual(["p", "c", "b2"]);
  });

  it("merges only into open units of the same kind", () => {
    expect(mergeTargets(units, "b1").map((u) => u.id)).toEqual(["b2"]);
  });

  it("names a unit with its parents below the province", () => {
    expect(unitPath(units, "g1")).toBe("Uc › Ub1 › Ug1");
  });
});
