import { TranslationBundle } from '@jupyterlab/translation';
import {
  addIcon,
  refreshIcon,
  ToolbarButtonComponent
} from '@jupyterlab/ui-components';
import * as React from 'react';

import { createShare } from './actions';
import { SharesModel } from './model';

/**
 * The panel's title with New share and Refresh, then who decides the shares
 * and what went wrong, if anything did.
 */
export function SharesHeader(props: {
  model: SharesModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, trans } = props;
  const list = model.list;
  const registry = model.registry;
  return (
    <>
      <header className="jp-CapellaShares-header">
        <h2 className="jp-CapellaShares-title">{trans.__('Project shares')}</h2>
        {model.manage && (
          <ToolbarButtonComponent
            icon={addIcon}
            label={trans.__('New share')}
            tooltip={trans.__('Make a new project share')}
            onClick={() => void createShare(model, trans)}
            enabled={model.busy === ''}
          />
        )}
        <ToolbarButtonComponent
          icon={refreshIcon}
          tooltip={trans.__('Refresh')}
          onClick={() => void model.refresh()}
        />
      </header>
      {registry && !registry.manager ? (
        <p className="jp-CapellaShares-managed" role="note">
          <a href={registry.url} target="_blank" rel="noopener noreferrer">
            {trans.__('Shares are managed in the project registry')}
          </a>
        </p>
      ) : (
        list?.managed && (
          <p className="jp-CapellaShares-managed" role="note">
            {trans.__(
              'The platform that started this session manages these shares; they cannot be created, changed or deleted here.'
            )}
          </p>
        )
      )}
      {list?.problem && (
        <p className="jp-CapellaShare-error" role="alert">
          {list.problem}
        </p>
      )}
      {model.error && (
        <p className="jp-CapellaShare-error" role="alert">
          {model.error}
        </p>
      )}
    </>
  );
}
