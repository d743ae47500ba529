import type { FileBrowser } from '@jupyterlab/filebrowser';
import { ISignal } from '@lumino/signaling';

import {
  fileBrowserAsExpected,
  folderNameUnder,
  hideFileBrowserToolbar
} from '../upstream';

/** Marks a file browser whose folder the user may not write in. */
export const READ_ONLY_FOLDER_CLASS = 'jp-CapellaShare-readOnlyFolder';

/** Native drags (files from the desktop: uploads) and Lumino drags (moves). */
const DROP_EVENTS = [
  'dragenter',
  'dragover',
  'drop',
  'lm-dragenter',
  'lm-dragover',
  'lm-drop'
];

/**
 * What a file browser's guard asks: `mayWrite` takes a contents path (a file,
 * or a folder to write in); `mayWriteBelow` whether everything in a folder may
 * be written (for a drop on a folder the listing cannot name); `folderOf`
 * gives the browser's folder; `unexpected` is told, once per browser, that its
 * DOM is not as expected.
 */
export interface IFileBrowserGuard {
  mayWrite(path: string): boolean;
  mayWriteBelow(folder: string): boolean;
  folderOf(browser: FileBrowser): string;
  unexpected(): void;
}

/**
 * Keep a file browser from offering what its folder does not allow: it is
 * marked read-only there (the stylesheet hides its upload button), and files
 * dropped on it (uploads) or moved in it are not taken where nothing may be
 * written. Where the browser's DOM is not as expected, it fails closed: in a
 * read-only folder its whole toolbar is hidden, and a drop on a folder it
 * cannot name is taken only where everything may be written.
 */
export function guardFileBrowser(
  browser: FileBrowser,
  guard: IFileBrowserGuard,
  changed: ISignal<unknown, void>
): void {
  let expected = true;
  const mark = () => {
    if (browser.isDisposed) {
      return;
    }
    if (expected && !fileBrowserAsExpected(browser)) {
      expected = false;
      guard.unexpected();
    }
    const readOnly = !guard.mayWrite(guard.folderOf(browser));
    browser.node.classList.toggle(READ_ONLY_FOLDER_CLASS, readOnly);
    if (!expected) {
      hideFileBrowserToolbar(browser, readOnly);
    }
  };
  browser.model.pathChanged.connect(mark);
  browser.model.refreshed.connect(mark);
  changed.connect(mark);
  browser.disposed.connect(() => changed.disconnect(mark));
  mark();

  const refuseDrop = (event: Event) => {
    const folder = guard.folderOf(browser);
    const moving = event.type.startsWith('lm-');
    const name = folderNameUnder(event.target);
    const allowed =
      (!moving || guard.mayWrite(folder)) &&
      (name === null
        ? guard.mayWriteBelow(folder)
        : guard.mayWrite(join(folder, name)));
    if (!allowed) {
      event.stopPropagation();
      if (event instanceof DragEvent && event.dataTransfer) {
        event.dataTransfer.dropEffect = 'none';
      }
    }
  };
  for (const type of DROP_EVENTS) {
    browser.node.addEventListener(type, refuseDrop, true);
  }
}

function join(folder: string, name: string): string {
  return [folder, name].filter(part => part !== '').join('/');
}
