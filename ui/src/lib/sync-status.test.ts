import { describe, expect, it } from "vitest";
import { syncView as view } from "./fixtures";
import { fieldLabel, formatDateTime, syncLine } from "./sync-status";

describe("syncLine", () => {
  it("says when the laptop is not connected to a server", () => {
    expect(syncLine(view({ enrolled: false }), "vi")).toEqual({ tone: "off", text: "Chưa kết nối máy chủ đồng bộ" });
  });

  it("gives the last sync in dd/mm/yyyy HH:MM when all is sent", () => {
    expect(syncLine(view(), "vi")).toEqual({ tone: "ok", text: "đồng bộ lần cuối 05/11/2026 08:07" });
  });

  it("counts waiting changes with Vietnamese digit grouping", () => {
    const line = syncLine(view({ pending: 1646, conflicts: 2 }), "vi");
    expect(line.tone).toBe("pending");
    expect(line.text).toBe("1.646 thay đổi chờ gửi · đồng bộ lần cuối 05/11/2026 08:07 · 2 xung đột cần xem");
    expect(syncLine(view({ pending: 1646 }), "en").text).toContain("1,646 changes waiting");
  });

  it("puts a failure first, in the core's plain words", () => {
    const line = syncLine(view({ pending: 3, last_error: "Không kết nối được máy chủ.", last_success_ms: null }), "vi");
    expect(line.tone).toBe("error");
    expect(line.text).toBe("Chưa đồng bộ được: Không kết nối được máy chủ. · 3 thay đổi chờ gửi · chưa đồng bộ lần nào");
  });

  it("shows a running sync and refused changes", () => {
    const line = syncLine(view({ running: true, parked: 1 }), "vi");
    expect(line.tone).toBe("running");
    expect(line.text).toContain("Đang đồng bộ…");
    expect(line.text).toContain("1 thay đổi bị từ chối");
  });
});

describe("fieldLabel", () => {
  it("names member fields as the member form does", () => {
    expect(fieldLabel("member", "phone", "vi")).toBe("Điện thoại");
    expect(fieldLabel("member", "unit_id", "en")).toBe("Branch / unit");
    expect(fieldLabel("org_unit", "name", "vi")).toBe("Tên đơn vị");
    expect(fieldLabel("unit_denominator", "population", "vi")).toBe("population");
  });
});

describe("formatDateTime", () => {
  it("pads day, month, hours and minutes", () => {
    expect(formatDateTime(new Date(2027, 0, 2, 3, 4).getTime())).toBe("02/01/2027 03:04");
  });
});
