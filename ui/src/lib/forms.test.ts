import { describe, expect, it } from "vitest";
import { blanksToNull, formErrors } from "./forms";

describe("field-level messages", () => {
  it("puts each message under its field and the rest in a summary", () => {
    const e = formErrors(
      { code: "invalid_input", message: "2 lỗi", fields: [{ field: "birth", message: "Ngày sinh không hợp lệ" }, { field: "after", message: "Vị trí trang" }] },
      ["full_name", "birth"],
    );
    expect(e.fields).toEqual({ birth: "Ngày sinh không hợp lệ" });
    expect(e.general).toBe("Vị trí trang");
  });

  it("shows an error without fields as a general message", () => {
    const e = formErrors({ code: "forbidden", message: "Chức danh Thủ quỹ không được sửa", fields: [] }, ["full_name"]);
    expect(e).toEqual({ fields: {}, general: "Chức danh Thủ quỹ không được sửa" });
  });

  it("sends empty text fields as not given", () => {
    expect(blanksToNull({ a: " ", b: "x", c: null, d: true })).toEqual({ a: null, b: "x", c: null, d: true });
  });
});
