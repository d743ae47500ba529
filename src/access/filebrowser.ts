import type { FileBrowser } from '@jupyterlab/filebrowser';
import { ISignal } from '@lumino/signaling';

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
 * Keep a file browser from offering what its folder does not allow: it is
 * marked read-only there (the stylesheet hides its upload button), and files
 * dropped on it (uploads) or moved in it are not taken where nothing may be
 * written. `mayWrite` takes a contents path; `folderOf` gives the browser's.
 */
export function guardFileBrowser(
  browser: FileBrowser,
  mayWrite: (path: string) => boolean,
  folderOf: (browser: FileBrowser) => string,
  changed: ISignal<unknown, void>
): void {
  const mark = () => {
    if (!browser.isDisposed) {
      browser.node.classList.toggle(
        READ_ONLY_FOLDER_CLASS,
        !mayWrite(folderOf(browser))
      );
    }
  };
  browser.model.pathChanged.connect(mark);
  changed.connect(mark);
  browser.disposed.connect(() => changed.disconnect(mark));
  mark();

  const refuseDrop = (event: Event) => {
    const folder = folderOf(browser);
    const moving = event.type.startsWith('lm-');
    const target = join(folder, folderNameUnder(event.target));
    if ((moving && !mayWrite(folder)) || !mayWrite(target)) {
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

/**
 * The name of the folder listed under a drag, or '' (the browser's own folder).
 */
function folderNameUnder(target: EventTarget | null): string {
  if (!(target instanceof Element)) {
    return '';
  }
  const item = target.closest('.jp-DirListing-item[data-isdir="true"]');
  return item?.querySelector('.jp-DirListing-itemText')?.textContent ?? '';
}

function join(folder: string, name: string): string {
  return [folder, name].filter(part => part !== '').join('/');
}
