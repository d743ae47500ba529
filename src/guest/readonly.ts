import { DocumentWidget } from '@jupyterlab/docregistry';
import { Notebook } from '@jupyterlab/notebook';
import { CommandRegistry } from '@lumino/commands';

/**
 * Keep a document from being typed into or run: its model is read-only, every
 * cell and text editor refuses input, and no kernel is started for it.
 */
export function preventKernelStart(widget: DocumentWidget): void {
  const sessionContext = widget.context.sessionContext;
  sessionContext.kernelPreference = {
    ...sessionContext.kernelPreference,
    canStart: false,
    shouldStart: false,
    autoStartDefault: false
  };
}

/** How to undo the lock of each locked document. */
const unlocks = new WeakMap<DocumentWidget, () => void>();

/**
 * Whether ``widget`` is locked read-only by us.
 */
export function isReadOnly(widget: DocumentWidget): boolean {
  return unlocks.has(widget);
}

/**
 * Lock a document read-only, or unlock it again. Only what this browser shows
 * changes: nothing is written into the document.
 */
export function setReadOnly(widget: DocumentWidget, readOnly: boolean): void {
  if (readOnly === isReadOnly(widget)) {
    return;
  }
  if (!readOnly) {
    unlocks.get(widget)?.();
    unlocks.delete(widget);
    return;
  }
  widget.addClass('jp-CapellaShare-readOnly');
  widget.context.model.readOnly = true;
  const content = widget.content as any;
  let unlockContent = () => {
    /* nothing else was locked */
  };
  if (content instanceof Notebook) {
    const setCells = (locked: boolean) => {
      for (const cell of content.widgets) {
        // Locally only: writing "editable: false" into the notebook would change it.
        cell.syncEditable = false;
        cell.readOnly = locked;
      }
    };
    // new cells (a collaborator's too) get their widgets after this signal
    const lockNewCells = () => requestAnimationFrame(() => setCells(true));
    setCells(true);
    content.model?.cells.changed.connect(lockNewCells);
    unlockContent = () => {
      content.model?.cells.changed.disconnect(lockNewCells);
      setCells(false);
    };
  } else if (content?.editor?.setOption) {
    content.editor.setOption('readOnly', true);
    unlockContent = () => content.editor.setOption('readOnly', false);
  }
  unlocks.set(widget, () => {
    widget.removeClass('jp-CapellaShare-readOnly');
    widget.context.model.readOnly = false;
    unlockContent();
  });
}

/**
 * Lock a document for good (a view guest's).
 */
export function makeReadOnly(widget: DocumentWidget): void {
  setReadOnly(widget, true);
}

/**
 * Notebook keys that change a notebook or run it. In a read-only document they
 * are bound to a notice instead (our selectors are more specific than Lab's).
 */
const EDITING_KEYS = [
  ['A'],
  ['B'],
  ['X'],
  ['V'],
  ['Shift V'],
  ['D', 'D'],
  ['Z'],
  ['Shift Z'],
  ['Y'],
  ['M'],
  ['R'],
  ['1'],
  ['2'],
  ['3'],
  ['4'],
  ['5'],
  ['6'],
  ['Shift A'],
  ['Shift B'],
  ['Shift M'],
  ['Ctrl Backspace'],
  ['Ctrl Shift M'],
  ['Ctrl Shift ArrowUp'],
  ['Ctrl Shift ArrowDown'],
  ['I', 'I'],
  ['0', '0'],
  ['Accel S'],
  ['Shift Enter'],
  ['Accel Enter'],
  ['Alt Enter']
];
const EDIT_MODE_KEYS = [
  ['Accel S'],
  ['Shift Enter'],
  ['Accel Enter'],
  ['Alt Enter'],
  ['Ctrl Shift -']
];
const READ_ONLY = '.jp-CapellaShare-readOnly';

export function bindReadOnlyKeys(
  commands: CommandRegistry,
  command: string
): void {
  for (const keys of EDITING_KEYS) {
    commands.addKeyBinding({
      command,
      keys,
      selector: `${READ_ONLY} .jp-Notebook.jp-mod-commandMode:not(.jp-mod-readWrite) :focus`
    });
  }
  for (const keys of EDIT_MODE_KEYS) {
    commands.addKeyBinding({
      command,
      keys,
      selector: `${READ_ONLY} .jp-Notebook.jp-mod-editMode`
    });
  }
}
