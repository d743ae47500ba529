import { Notification } from '@jupyterlab/apputils';
import { DocumentWidget } from '@jupyterlab/docregistry';
import { Contents } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';
import { IDisposable } from '@lumino/disposable';
import { Poll } from '@lumino/polling';

import { isReadOnly, setReadOnly } from './readonly';

/** How often an open document's permission is asked again. */
const RECHECK_MS = 5000;

/**
 * Keeps every open document read-only exactly when the server says its user may
 * not write it (`writable: false` in its contents model: a view guest's documents,
 * anything in a read-only project share), also when that changes while it is open.
 */
export class WritableDocuments implements IDisposable {
  constructor(
    private readonly _contents: Contents.IManager,
    private readonly _trans: TranslationBundle
  ) {
    this._poll = new Poll({
      factory: () => this.recheck(),
      frequency: { interval: RECHECK_MS, backoff: false },
      name: 'capella-share:writable-documents',
      standby: 'when-hidden'
    });
  }

  get isDisposed(): boolean {
    return this._poll.isDisposed;
  }

  /**
   * Follow a document from now until it is closed.
   */
  follow(widget: DocumentWidget): void {
    void widget.context.ready.then(() => {
      if (widget.isDisposed || this._ended) {
        return;
      }
      this._open.add(widget);
      widget.disposed.connect(() => this._open.delete(widget));
      setReadOnly(widget, widget.context.contentsModel?.writable === false);
    });
  }

  /**
   * Ask the server again about every open document.
   */
  async recheck(): Promise<void> {
    if (this._ended) {
      return;
    }
    await Promise.all(
      [...this._open].map(async widget => {
        let writable: boolean;
        try {
          const model = await this._contents.get(widget.context.path, {
            content: false
          });
          writable = model.writable !== false;
        } catch {
          return; // gone or unreachable: the next check will tell
        }
        if (widget.isDisposed || this._ended) {
          return;
        }
        if (writable === isReadOnly(widget)) {
          setReadOnly(widget, !writable);
          this._tell(widget, writable);
        }
      })
    );
  }

  /**
   * Access ended: nothing may be written any more.
   */
  lockAll(): void {
    this._ended = true;
    this._poll.dispose();
    for (const widget of this._open) {
      setReadOnly(widget, true);
    }
  }

  /**
   * Stop asking the server; open documents stay as they are.
   */
  dispose(): void {
    this._ended = true;
    this._poll.dispose();
  }

  private _tell(widget: DocumentWidget, writable: boolean): void {
    const name = widget.context.localPath.split('/').pop() ?? '';
    if (writable) {
      Notification.info(this._trans.__('You may edit "%1" again.', name), {
        autoClose: 5000
      });
    } else {
      Notification.warning(
        this._trans.__(
          '"%1" is now read-only for you: changes to it would not be kept.',
          name
        ),
        { autoClose: 8000 }
      );
    }
  }

  private readonly _open = new Set<DocumentWidget>();
  private readonly _poll: Poll;
  private _ended = false;
}
