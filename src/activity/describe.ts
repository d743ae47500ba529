import { TranslationBundle } from '@jupyterlab/translation';

import { IActivityRecord } from '../tokens';

/**
 * A record as one line of the activity view: who, did what, on which files
 * (each opened by a click), and the rest in words.
 */
export interface IDescribed {
  who: string;
  /** the actor's level, for its badge ('' for the server) */
  level: string;
  what: string;
  /** files and folders the record names, in the order they read */
  paths: string[];
  /** code a guest ran (its first line), shown as code */
  code: string;
  /** the rest, in words */
  detail: string;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function count(value: unknown): number {
  return Array.isArray(value)
    ? value.length
    : typeof value === 'number'
      ? value
      : 0;
}

/**
 * What ending a link ended, in words ('' when nothing was open).
 */
export function endedText(ended: unknown, trans: TranslationBundle): string {
  if (!ended || typeof ended !== 'object') {
    return '';
  }
  const what = ended as Record<string, unknown>;
  const parts: string[] = [];
  const sockets = count(what.sockets);
  if (sockets) {
    parts.push(
      trans._n('closed %1 connection', 'closed %1 connections', sockets)
    );
  }
  const terminals = count(what.terminals);
  if (terminals) {
    parts.push(trans._n('ended %1 terminal', 'ended %1 terminals', terminals));
  }
  const shut = count(what.kernels_shut_down);
  if (shut) {
    parts.push(trans._n('shut down %1 kernel', 'shut down %1 kernels', shut));
  }
  const restarted = count(what.kernels_restarted);
  if (restarted) {
    parts.push(
      trans._n('restarted %1 kernel', 'restarted %1 kernels', restarted)
    );
  }
  const interrupted = count(what.executions_interrupted);
  if (interrupted) {
    parts.push(
      trans._n('interrupted %1 run', 'interrupted %1 runs', interrupted)
    );
  }
  return parts.join(', ');
}

/**
 * Why a guest left, in words.
 */
function whyText(why: string, trans: TranslationBundle): string {
  switch (why) {
    case 'closed':
      return trans.__('closed the session');
    case 'logged-out':
      return trans.__('logged out');
    case 'revoked':
      return trans.__('the link was revoked');
    case 'expired':
      return trans.__('the link expired');
    case 'removed':
      return trans.__('what the link shared was deleted');
    default:
      return why;
  }
}

/**
 * A record, in words for the owner.
 */
export function describe(
  record: IActivityRecord,
  trans: TranslationBundle
): IDescribed {
  const level = text(record.level);
  const who =
    level === 'owner'
      ? trans.__('You (owner)')
      : level
        ? text(record.name) || text(record.user)
        : trans.__('The server');
  const path = text(record.path);
  const to = text(record.to);
  const kernel = text(record.kernel).slice(0, 8);
  const live = record.via === 'rtc';
  const described: IDescribed = {
    who,
    level,
    what: record.action,
    paths: [path, to].filter(Boolean),
    code: '',
    detail: ''
  };
  switch (record.action) {
    case 'guest.arrived':
      described.what = trans.__('arrived');
      described.detail = record.address
        ? trans.__('from %1', text(record.address))
        : '';
      break;
    case 'guest.left':
      described.what = trans.__('left');
      described.detail = whyText(text(record.why), trans);
      break;
    case 'file.open':
      described.what = live ? trans.__('opened (live)') : trans.__('opened');
      break;
    case 'file.download':
      described.what = trans.__('downloaded');
      described.detail = record.format
        ? trans.__('as %1', text(record.format))
        : '';
      break;
    case 'file.archive':
      described.what = trans.__('downloaded a project share as a zip');
      described.detail = text(record.share);
      break;
    case 'file.save':
      described.what = live
        ? trans.__('saved (edited live)')
        : trans.__('saved');
      if (live) {
        const others = Array.isArray(record.coauthors)
          ? (record.coauthors as string[]).join(', ')
          : '';
        described.detail = others
          ? trans._n(
              '%1 change, with %2',
              '%1 changes, with %2',
              count(record.updates),
              others
            )
          : trans._n('%1 change', '%1 changes', count(record.updates));
      }
      break;
    case 'file.create':
      described.what =
        record.type === 'directory'
          ? trans.__('created a folder')
          : trans.__('created');
      break;
    case 'file.upload':
      described.what = trans.__('uploaded');
      break;
    case 'file.rename':
      described.what = trans.__('renamed');
      break;
    case 'file.copy':
      described.what = trans.__('copied');
      break;
    case 'file.delete':
      described.what = trans.__('deleted');
      break;
    case 'file.restore':
      described.what = trans.__('restored a checkpoint of');
      break;
    case 'kernel.start':
      described.what = trans.__('started a kernel');
      described.detail = [text(record.kernel_name), kernel]
        .filter(Boolean)
        .join(' ');
      break;
    case 'kernel.execute':
      described.what = trans.__('ran code');
      described.code = text(record.code_first_line);
      described.paths = [text(record.from)].filter(Boolean);
      described.detail = kernel ? trans.__('kernel %1', kernel) : '';
      break;
    case 'kernel.interrupt':
      described.what = trans.__('interrupted a kernel');
      described.detail = kernel;
      break;
    case 'kernel.restart':
      described.what = trans.__('restarted a kernel');
      described.detail = kernel;
      break;
    case 'kernel.shutdown':
      described.what = trans.__('shut down a kernel');
      described.detail = kernel;
      break;
    case 'terminal.open':
      described.what = trans.__('opened a terminal');
      described.detail = text(record.terminal);
      break;
    case 'terminal.close':
      described.what = trans.__('closed a terminal');
      described.detail = text(record.terminal);
      break;
    case 'refused':
      described.what = trans.__('was refused');
      described.detail = record.suppressed
        ? text(record.reason)
        : [text(record.what), text(record.reason)].filter(Boolean).join(': ');
      described.paths = [];
      break;
    case 'link.create':
      described.what = trans.__('made the link');
      described.detail = [
        text(record.label),
        text(record.permission),
        record.scope ? trans.__('only %1', text(record.scope)) : '',
        record.expires_at
          ? trans.__(
              'until %1',
              new Date(text(record.expires_at)).toLocaleString()
            )
          : ''
      ]
        .filter(Boolean)
        .join(', ');
      break;
    case 'grant.create':
      described.what = trans.__('shared the server with');
      described.detail = [
        text(record.grantee),
        text(record.permission),
        record.scope ? trans.__('only %1', text(record.scope)) : ''
      ]
        .filter(Boolean)
        .join(', ');
      break;
    case 'link.end':
    case 'grant.end': {
      described.what =
        record.reason === 'expired'
          ? trans.__('the link expired')
          : record.reason === 'removed'
            ? trans.__('the link ended: what it shared was deleted')
            : trans.__('ended the link');
      described.detail = endedText(record.ended, trans);
      break;
    }
    case 'share.create':
      described.what = trans.__('made the project share');
      described.detail = text(record.permission);
      break;
    case 'share.permission':
      described.what = trans.__('made a project share');
      described.detail = text(record.permission);
      described.paths = [];
      break;
    case 'share.delete':
      described.what = trans.__('deleted the project share');
      described.detail = text(record.share);
      break;
    case 'trail.start':
      described.what = trans.__('started');
      break;
    case 'trail.stop':
      described.what = trans.__('stopped');
      break;
  }
  return described;
}
