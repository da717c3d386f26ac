// Values the unit tests build on.

import type { SyncView } from "./bindings/SyncView";

/** A laptop enrolled with its server, nothing waiting; `over` changes what a test needs. */
export const syncView = (over: Partial<SyncView> = {}): SyncView => ({
  enrolled: true,
  server_url: "https://khuyenhoc.quangtri.gov.vn",
  unit_name: "Xã Tân Hòa",
  pending: 0,
  parked: 0,
  conflicts: 0,
  last_success_ms: new Date(2026, 10, 5, 8, 7).getTime(),
  last_error: null,
  clock_warning: null,
  running: false,
  last_result: null,
  reenroll: false,
  data_generation: 0,
  ...over,
});
