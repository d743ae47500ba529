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

export function makeReadOnly(widget: DocumentWidget): void {
  widget.addClass('jp-CapellaShare-readOnly');
  widget.context.model.readOnly = true;
  const content = widget.content as any;
  if (content instanceof Notebook) {
    const lockCells = () => {
      for (const cell of content.widgets) {
        // Locally only: writing "editable: false" into the notebook would change it.
        cell.syncEditable = false;
        cell.readOnly = true;
      }
    };
    lockCells();
    content.model?.cells.changed.connect(() => {
      // new cells get their widgets after this signal
      requestAnimationFrame(lockCells);
    });
  } else if (content?.editor?.setOption) {
    content.editor.setOption('readOnly', true);
  }
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
  ['Shift Enter'],
  ['Accel Enter'],
  ['Alt Enter']
];
const EDIT_MODE_KEYS = [
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
