// Native open/save dialogs through the shell's dialog plugin. Every screen that takes a file
// also has a path field, so a missing plugin (or a test driving the window) never blocks work.

import { open, save } from "@tauri-apps/plugin-dialog";

export interface PickOptions {
  save: boolean;
  extensions: string[];
  name: string;
  defaultPath?: string;
}

/** The chosen path, or null when the officer cancelled (or no dialog could be shown). */
export async function pickFile(o: PickOptions): Promise<string | null> {
  const filters = [{ name: o.name, extensions: o.extensions }];
  try {
    if (o.save) return await save({ filters, defaultPath: o.defaultPath });
    const chosen = await open({ multiple: false, directory: false, filters });
    return typeof chosen === "string" ? chosen : null;
  } catch {
    return null;
  }
}
