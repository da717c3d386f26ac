import { afterEach, describe, expect, it } from "vitest";
import {
  formatDate,
  formatDong,
  formatDongShort,
  formatNumber,
  getLang,
  isLang,
  parseDate,
  setLang,
  t,
} from "./i18n";

afterEach(() => setLang("vi"));

describe("t", () => {
  it("speaks Vietnamese by default", () => {
    expect(getLang()).toBe("vi");
    expect(t("info.version")).toBe("Phiên bản");
    expect(t("app.subtitle")).toBe("Sổ Hội Khuyến học xã, phường");
  });

  it("switches to English and back", () => {
    setLang("en");
    expect(t("info.version")).toBe("Version");
    setLang("vi");
    expect(t("info.version")).toBe("Phiên bản");
  });

  it("takes the language as an argument without changing the current one", () => {
    expect(t("info.database", {}, "en")).toBe("Database file");
    expect(getLang()).toBe("vi");
  });

  it("fills placeholders and leaves unknown ones visible", () => {
    expect(t("error.ipc", { detail: "hết giờ" })).toBe("Không gọi được phần lõi của ứng dụng: hết giờ");
    expect(t("error.ipc")).toBe("Không gọi được phần lõi của ứng dụng: {detail}");
  });

  it("knows its languages", () => {
    expect(isLang("vi")).toBe(true);
    expect(isLang("en")).toBe(true);
    expect(isLang("fr")).toBe(false);
    expect(isLang(undefined)).toBe(false);
  });
});

describe("formatNumber", () => {
  it("groups thousands with dots in Vietnamese", () => {
    expect(formatNumber(0)).toBe("0");
    expect(formatNumber(999)).toBe("999");
    expect(formatNumber(1646)).toBe("1.646");
    expect(formatNumber(2_500_000)).toBe("2.500.000");
    expect(formatNumber(-1646)).toBe("-1.646");
  });

  it("writes decimals after a comma in Vietnamese, a dot in English", () => {
    expect(formatNumber(522.6, "vi", 1)).toBe("522,6");
    expect(formatNumber(1234.5, "vi", 2)).toBe("1.234,5");
    expect(formatNumber(1234.5, "en", 2)).toBe("1,234.5");
    expect(formatNumber(1646, "en")).toBe("1,646");
  });

  it("rounds to the decimals asked for and drops trailing zeros", () => {
    expect(formatNumber(1646.7)).toBe("1.647");
    expect(formatNumber(3.0, "vi", 1)).toBe("3");
    expect(formatNumber(-0.04, "vi", 1)).toBe("0");
  });

  it("refuses what is not a number", () => {
    expect(() => formatNumber(Number.NaN)).toThrow(RangeError);
    expect(() => formatNumber(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });
});

describe("money", () => {
  it("writes đồng in full", () => {
    expect(formatDong(24_000)).toBe("24.000 đồng");
    expect(formatDong(24_000, "en")).toBe("24,000 VND");
  });

  it("writes report amounts in millions and billions", () => {
    expect(formatDongShort(522_600_000)).toBe("522,6 triệu đồng");
    expect(formatDongShort(522_649_999)).toBe("522,6 triệu đồng");
    expect(formatDongShort(522_650_000)).toBe("522,7 triệu đồng");
    expect(formatDongShort(-522_650_000)).toBe("-522,7 triệu đồng");
    expect(formatDongShort(1_000_000)).toBe("1 triệu đồng");
    expect(formatDongShort(1_200_000_000)).toBe("1,2 tỷ đồng");
    expect(formatDongShort(12_345_600_000)).toBe("12,3 tỷ đồng");
    expect(formatDongShort(522_600_000, "en")).toBe("522.6 million VND");
  });

  it("never writes 1.000 triệu: that is 1 tỷ", () => {
    expect(formatDongShort(999_949_999)).toBe("999,9 triệu đồng");
    expect(formatDongShort(999_950_000)).toBe("1 tỷ đồng");
  });

  it("writes small amounts in full", () => {
    expect(formatDongShort(999_999)).toBe("999.999 đồng");
    expect(formatDongShort(0)).toBe("0 đồng");
  });
});

describe("dates", () => {
  it("writes ISO dates as dd/mm/yyyy without time-zone shifts", () => {
    expect(formatDate("1985-03-15")).toBe("15/03/1985");
    expect(formatDate("2024-01-01")).toBe("01/01/2024");
    expect(formatDate("2024-12-31T23:59:00Z")).toBe("31/12/2024");
  });

  it("writes a Date's local calendar date", () => {
    expect(formatDate(new Date(2024, 1, 29))).toBe("29/02/2024");
  });

  it("refuses what is not a date", () => {
    expect(() => formatDate("15/03/1985")).toThrow(RangeError);
    expect(() => formatDate("2023-02-29")).toThrow(RangeError);
    expect(() => formatDate(new Date(Number.NaN))).toThrow(RangeError);
  });

  it("reads dd/mm/yyyy as officers type it", () => {
    expect(parseDate("15/03/1985")).toBe("1985-03-15");
    expect(parseDate(" 5/3/1985 ")).toBe("1985-03-05");
    expect(parseDate("05-03-1985")).toBe("1985-03-05");
    expect(parseDate("29.02.2000")).toBe("2000-02-29");
  });

  it("rejects dates that do not exist", () => {
    expect(parseDate("29/02/1900")).toBeNull();
    expect(parseDate("31/04/2024")).toBeNull();
    expect(parseDate("00/01/2024")).toBeNull();
    expect(parseDate("15/13/2024")).toBeNull();
    expect(parseDate("1985-03-15")).toBeNull();
    expect(parseDate("")).toBeNull();
  });
});
