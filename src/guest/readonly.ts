import { DocumentWidget } from '@jupyterlab/docregistry';
import { Notebook } from '@jupyterlab/notebook';

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
