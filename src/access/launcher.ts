import { MainAreaWidget } from '@jupyterlab/apputils';
import { ILauncher, Launcher } from '@jupyterlab/launcher';
import { VDomModel } from '@jupyterlab/ui-components';
import { IDisposable } from '@lumino/disposable';
import { MessageLoop } from '@lumino/messaging';
import { ISignal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

/**
 * The items of every launcher, as one launcher may show them: those `allowed`
 * in its folder. Items are still added to (and kept by) the Lab's one model.
 */
class AllowedItems extends VDomModel implements ILauncher.IModel {
  constructor(
    private readonly _all: ILauncher.IModel,
    private readonly _allowed: (item: ILauncher.IItemOptions) => boolean
  ) {
    super();
    _all.stateChanged.connect(this.changed, this);
  }

  add(options: ILauncher.IItemOptions): IDisposable {
    return this._all.add(options);
  }

  *items(): IterableIterator<ILauncher.IItemOptions> {
    for (const item of this._all.items()) {
      if (this._allowed(item)) {
        yield item;
      }
    }
  }

  /** Render again: the items or what is allowed changed. */
  changed(): void {
    this.stateChanged.emit(void 0);
  }

  dispose(): void {
    this._all.stateChanged.disconnect(this.changed, this);
    super.dispose();
  }
}

/**
 * A short line above a launcher saying why it offers less.
 */
class LauncherNote extends Widget {
  constructor() {
    super({ node: document.createElement('p') });
    this.addClass('jp-CapellaShare-launcherNote');
    this.node.setAttribute('role', 'note');
  }

  set text(value: string) {
    this.node.textContent = value;
    this.node.title = value;
    this.setHidden(!value);
  }
}

/**
 * What a launcher in folder `cwd` may offer, and what to say about it.
 */
export interface ILauncherAccess {
  allowed(item: ILauncher.IItemOptions, cwd: string): boolean;
  /** '' when the launcher offers everything */
  note(cwd: string): string;
}

/**
 * Make a launcher just created by `launcher:create` offer only what is allowed
 * in its folder, with a note saying why. `changed` (what the user may do)
 * renders it again.
 */
export function restrictLauncher(
  widget: unknown,
  access: ILauncherAccess,
  changed: ISignal<unknown, void>
): void {
  if (
    !(widget instanceof MainAreaWidget) ||
    !(widget.content instanceof Launcher)
  ) {
    return;
  }
  const launcher = widget.content;
  const all = launcher.model as ILauncher.IModel | null;
  if (!all) {
    return;
  }
  const items = new AllowedItems(all, item =>
    access.allowed(item, launcher.cwd)
  );
  const note = new LauncherNote();
  launcher.model = items;
  widget.contentHeader.addWidget(note);
  // Each time the launcher draws itself (its folder follows the file browser's),
  // the note follows too.
  const tell = () => (note.text = access.note(launcher.cwd));
  MessageLoop.installMessageHook(launcher, (_, message) => {
    if (message.type === 'update-request') {
      tell();
    }
    return true;
  });
  tell();
  const update = () => items.changed();
  changed.connect(update);
  launcher.disposed.connect(() => {
    changed.disconnect(update);
    items.dispose();
  });
}
