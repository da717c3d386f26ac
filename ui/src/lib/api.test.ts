import { beforeEach, describe, expect, it, vi } from "vitest";

// The real `invoke` needs the Tauri runtime; here it is a mock that each test programs.
const invoke = vi.fn();
vi.mock("@tauri-apps/api/core", () => ({ invoke: (...args: unknown[]) => invoke(...args) }));

const { appInfo, call, CommandError, IPC_ERROR, isApiError, toCommandError } = await import("./api");

// A block body: a function returned from beforeEach would run as a teardown.
beforeEach(() => {
  invoke.mockReset();
});

describe("call", () => {
  it("passes the command and its arguments and returns the result", async () => {
    invoke.mockResolvedValue({ ok: 1 });
    await expect(call("members_search", { text: "nguyen an" })).resolves.toEqual({ ok: 1 });
    expect(invoke).toHaveBeenCalledWith("members_search", { text: "nguyen an" });
  });

  it("rethrows the core's ApiError as a CommandError with the same fields", async () => {
    const apiError = {
      code: "invalid",
      message: "Dữ liệu chưa hợp lệ",
      fields: [{ field: "phone", message: "Số điện thoại không hợp lệ" }],
    };
    invoke.mockRejectedValue(apiError);
    const error = await call("members_add", {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommandError);
    expect(error).toBeInstanceOf(Error);
    const e = error as InstanceType<typeof CommandError>;
    expect(e.code).toBe("invalid");
    expect(e.message).toBe("Dữ liệu chưa hợp lệ");
    expect(e.fields).toEqual(apiError.fields);
    expect(e.fieldMessage("phone")).toBe("Số điện thoại không hợp lệ");
    expect(e.fieldMessage("name")).toBeUndefined();
    expect(e.cause).toBe(apiError);
  });

  it("turns any other failure into an ipc CommandError", async () => {
    invoke.mockRejectedValue("Command members_add not found");
    const e = (await call("members_add").catch((x: unknown) => x)) as InstanceType<typeof CommandError>;
    expect(e).toBeInstanceOf(CommandError);
    expect(e.code).toBe(IPC_ERROR);
    expect(e.message).toBe("Không gọi được phần lõi của ứng dụng: Command members_add not found");
    expect(e.fields).toEqual([]);

    invoke.mockRejectedValue(new TypeError("window.__TAURI_INTERNALS__ is undefined"));
    const e2 = (await call("app_info").catch((x: unknown) => x)) as InstanceType<typeof CommandError>;
    expect(e2.code).toBe(IPC_ERROR);
    expect(e2.message).toContain("window.__TAURI_INTERNALS__ is undefined");
  });
});

describe("isApiError", () => {
  it("accepts only the {code, message, fields} shape", () => {
    expect(isApiError({ code: "x", message: "y", fields: [] })).toBe(true);
    expect(isApiError({ code: "x", message: "y", fields: [{ field: "a", message: "b" }] })).toBe(true);
    expect(isApiError({ code: "x", message: "y" })).toBe(false);
    expect(isApiError({ code: 1, message: "y", fields: [] })).toBe(false);
    expect(isApiError({ code: "x", message: "y", fields: [{ field: "a" }] })).toBe(false);
    expect(isApiError(null)).toBe(false);
    expect(isApiError("invalid")).toBe(false);
  });

  it("keeps a CommandError as it is", () => {
    const e = new CommandError({ code: "busy", message: "m", fields: [] });
    expect(toCommandError(e)).toBe(e);
  });
});

describe("appInfo", () => {
  it("calls app_info with no arguments", async () => {
    const info = { version: "0.1.0", database: "/tmp/k.db", schema: 3 };
    invoke.mockResolvedValue(info);
    await expect(appInfo()).resolves.toEqual(info);
    expect(invoke).toHaveBeenCalledWith("app_info", undefined);
  });
});
