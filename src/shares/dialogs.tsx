import { Dialog, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { IProjectShare, SharePermission } from '../tokens';
import { formatCounts, MAX_SLUG, slugPreview } from './names';

/**
 * What "New share" asks for.
 */
export interface INewShare {
  project: string;
  model: string;
  permission: SharePermission;
}

function problemText(
  problem: string,
  what: string,
  trans: TranslationBundle
): string {
  switch (problem) {
    case 'empty':
      return trans.__('Enter a %1 name.', what);
    case 'separator':
      return trans.__('A %1 name cannot contain / or \\.', what);
    case 'no-letters':
      return trans.__('The %1 name needs letters or digits.', what);
    case 'too-long':
      return trans.__(
        'The %1 folder name would be longer than %2 characters.',
        what,
        MAX_SLUG
      );
    default:
      return '';
  }
}

function NewShareForm(props: {
  sharesRoot: string;
  trans: TranslationBundle;
  onChange: (value: INewShare) => void;
}): JSX.Element {
  const { trans } = props;
  const [project, setProject] = React.useState('');
  const [model, setModel] = React.useState('');
  const [permission, setPermission] =
    React.useState<SharePermission>('read-write');
  const projectSlug = slugPreview(project);
  const modelSlug = slugPreview(model);
  const problems = [
    problemText(projectSlug.problem, trans.__('project'), trans),
    problemText(modelSlug.problem, trans.__('model'), trans)
  ].filter(Boolean);
  const path = [
    props.sharesRoot,
    projectSlug.slug || '…',
    modelSlug.slug || '…'
  ]
    .filter(Boolean)
    .join('/');

  React.useEffect(
    () => props.onChange({ project, model, permission }),
    [project, model, permission]
  );

  return (
    <div className="jp-CapellaShare-dialog jp-CapellaShares-form">
      <label className="jp-CapellaShare-field">
        {trans.__('Project')}
        <input
          className="jp-mod-styled"
          name="project"
          required
          maxLength={200}
          placeholder={trans.__('e.g. Wing redesign')}
          value={project}
          onChange={e => setProject(e.target.value)}
          aria-invalid={!!projectSlug.problem && project !== ''}
        />
      </label>
      <label className="jp-CapellaShare-field">
        {trans.__('Model')}
        <input
          className="jp-mod-styled"
          name="model"
          required
          maxLength={200}
          placeholder={trans.__('e.g. Structural model')}
          value={model}
          onChange={e => setModel(e.target.value)}
        />
      </label>
      <fieldset className="jp-CapellaShares-permissions">
        <legend>{trans.__('Permission in this session')}</legend>
        <label>
          <input
            type="radio"
            name="permission"
            value="read-write"
            checked={permission === 'read-write'}
            onChange={() => setPermission('read-write')}
          />
          {trans.__('Read-write')}
        </label>
        <label>
          <input
            type="radio"
            name="permission"
            value="read-only"
            checked={permission === 'read-only'}
            onChange={() => setPermission('read-only')}
          />
          {trans.__('Read-only: nobody can change its files here')}
        </label>
      </fieldset>
      <p className="jp-CapellaShare-note">
        {trans.__('Folder:')}{' '}
        <code className="jp-CapellaShares-path" data-testid="share-path">
          {path}
        </code>
        {projectSlug.approximate || modelSlug.approximate
          ? ' ' + trans.__('(the server spells non-Latin letters in Latin)')
          : ''}
      </p>
      {problems.length > 0 && (project !== '' || model !== '') && (
        <p className="jp-CapellaShare-error" role="alert">
          {problems.join(' ')}
        </p>
      )}
      {/* an invisible invalid field keeps the Create button off while names are unusable */}
      {(projectSlug.problem || modelSlug.problem) && (
        <input
          className="jp-CapellaShares-validity"
          required
          hidden
          defaultValue=""
          tabIndex={-1}
          aria-hidden="true"
        />
      )}
    </div>
  );
}

class NewShareBody
  extends ReactWidget
  implements Dialog.IBodyWidget<INewShare>
{
  constructor(
    private _sharesRoot: string,
    private _trans: TranslationBundle
  ) {
    super();
  }

  getValue(): INewShare {
    return this._value;
  }

  protected render(): JSX.Element {
    return (
      <NewShareForm
        sharesRoot={this._sharesRoot}
        trans={this._trans}
        onChange={value => {
          this._value = value;
          this.node.dispatchEvent(new Event('input', { bubbles: true }));
        }}
      />
    );
  }

  private _value: INewShare = {
    project: '',
    model: '',
    permission: 'read-write'
  };
}

/**
 * Ask for a new share: project, model, permission; shows the folder it makes.
 */
export async function newShareDialog(
  sharesRoot: string,
  trans: TranslationBundle
): Promise<INewShare | null> {
  const result = await showDialog<INewShare>({
    title: trans.__('New project share'),
    body: new NewShareBody(sharesRoot, trans),
    buttons: [
      Dialog.cancelButton({ label: trans.__('Cancel') }),
      Dialog.okButton({ label: trans.__('Create') })
    ],
    focusNodeSelector: 'input[name="project"]'
  });
  if (!result.button.accept || !result.value) {
    return null;
  }
  const { project, model } = result.value;
  if (slugPreview(project).problem || slugPreview(model).problem) {
    return null;
  }
  return result.value;
}

function DeleteForm(props: {
  share: IProjectShare;
  trans: TranslationBundle;
  onDownload: () => void;
  onTyped: (value: string) => void;
}): JSX.Element {
  const { share, trans } = props;
  const expected = `${share.project}/${share.model}`;
  const [typed, setTyped] = React.useState('');
  React.useEffect(() => props.onTyped(typed), [typed]);
  return (
    <div className="jp-CapellaShare-dialog jp-CapellaShares-deleteForm">
      <p className="jp-CapellaShare-warning" role="alert">
        {trans.__(
          'This deletes the folder %1 and every notebook and file in it (%2). The loss is irrevocable: there is no trash and no undo.',
          share.path,
          formatCounts(share.files, share.bytes, trans)
        )}
      </p>
      <p className="jp-CapellaShare-note">
        {trans.__('Keep a copy first:')}{' '}
        <button
          type="button"
          className="jp-mod-styled jp-mod-reject jp-CapellaShares-download"
          onClick={props.onDownload}
        >
          {trans.__('Download as zip')}
        </button>
      </p>
      <label className="jp-CapellaShare-field">
        {trans.__('Type %1 to confirm', expected)}
        <input
          className="jp-mod-styled"
          name="confirm"
          autoComplete="off"
          spellCheck={false}
          required
          // slugs and '/' need no escaping; the rest would under the 'v' flag
          pattern={expected.replace(/[\\^$*+?.()|[\]{}]/g, '\\$&')}
          value={typed}
          onChange={e => setTyped(e.target.value)}
        />
      </label>
    </div>
  );
}

class DeleteBody extends ReactWidget implements Dialog.IBodyWidget<string> {
  constructor(
    private _share: IProjectShare,
    private _trans: TranslationBundle,
    private _onDownload: () => void
  ) {
    super();
  }

  getValue(): string {
    return this._typed;
  }

  protected render(): JSX.Element {
    return (
      <DeleteForm
        share={this._share}
        trans={this._trans}
        onDownload={this._onDownload}
        onTyped={value => {
          this._typed = value;
          // the dialog re-checks its fields (and its Delete button) on input
          this.node.dispatchEvent(new Event('input', { bubbles: true }));
        }}
      />
    );
  }

  private _typed = '';
}

/**
 * Ask to delete a share for good; true only when `project/model` was typed.
 */
export async function deleteShareDialog(
  share: IProjectShare,
  trans: TranslationBundle,
  onDownload: () => void
): Promise<string | null> {
  const expected = `${share.project}/${share.model}`;
  const result = await showDialog<string>({
    title: trans.__('Delete the share %1?', expected),
    body: new DeleteBody(share, trans, onDownload),
    buttons: [
      Dialog.cancelButton({ label: trans.__('Keep it') }),
      Dialog.warnButton({ label: trans.__('Delete for good') })
    ],
    defaultButton: 0,
    focusNodeSelector: 'input[name="confirm"]'
  });
  if (!result.button.accept || result.value !== expected) {
    return null;
  }
  return result.value;
}
