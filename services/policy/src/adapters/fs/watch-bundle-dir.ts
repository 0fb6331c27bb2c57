// Hot reload: calls `onChange` (debounced) when a file in the bundle directory changes.
import { watch } from "node:fs";
import type { FSWatcher } from "node:fs";

export function watchBundleDir(dir: string, onChange: () => void, debounceMs = 200): { close(): void } {
  let timer: NodeJS.Timeout | undefined;
  const watcher: FSWatcher = watch(dir, { recursive: true, persistent: false }, () => {
    clearTimeout(timer);
    timer = setTimeout(onChange, debounceMs);
  });
  return {
    close() {
      clearTimeout(timer);
      watcher.close();
    },
  };
}
