import { describe, expect, it } from "vitest";
import { latest } from "./latest";

describe("only the latest answer of instant search counts", () => {
  it("drops an answer that arrives after a newer query was sent", async () => {
    const resolvers: Array<(v: string) => void> = [];
    const search = latest((q: string) => new Promise<string>((resolve) => resolvers.push((v) => resolve(`${q}:${v}`))));
    const first = search("ng");
    const second = search("nguyen");
    resolvers[1]("b"); // the newer answer comes first…
    resolvers[0]("a"); // …the older one later
    expect(await second).toEqual({ fresh: true, value: "nguyen:b" });
    expect(await first).toEqual({ fresh: false });
  });
});
