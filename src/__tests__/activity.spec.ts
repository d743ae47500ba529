import { nullTranslator } from '@jupyterlab/translation';

import { describe as describeRecord, endedText } from '../activity/describe';
import { ActivityModel } from '../activity/model';
import { activityQuery, ShareClient } from '../client';
import { IActivityPage, IActivityRecord } from '../tokens';

const trans = nullTranslator.load('capella_share');

function record(overrides: Partial<IActivityRecord> = {}): IActivityRecord {
  return {
    seq: 1,
    at: '2026-01-01T10:00:00.000Z',
    action: 'file.open',
    hash: '0'.repeat(64),
    level: 'edit',
    link: 'aaaaaaaaaaaa',
    user: 'guest-aaaaaaaaaaaa-api',
    name: 'Reviewers',
    ...overrides
  };
}

describe('describe', () => {
  it('names the guest and the files it acted on, in order', () => {
    const said = describeRecord(
      record({ action: 'file.rename', path: 'a.ipynb', to: 'b.ipynb' }),
      trans
    );
    expect(said.who).toBe('Reviewers');
    expect(said.level).toBe('edit');
    expect(said.what).toBe('renamed');
    expect(said.paths).toEqual(['a.ipynb', 'b.ipynb']);
  });

  it('shows code a guest ran by its first line, where it came from', () => {
    const said = describeRecord(
      record({
        action: 'kernel.execute',
        code_first_line: 'import os',
        from: 'shared.ipynb',
        kernel: '12345678-aaaa-bbbb-cccc-dddddddddddd'
      }),
      trans
    );
    expect(said.code).toBe('import os');
    expect(said.paths).toEqual(['shared.ipynb']);
    expect(said.detail).toBe('kernel 12345678');
  });

  it('says who else wrote a live document saved', () => {
    const said = describeRecord(
      record({
        action: 'file.save',
        via: 'rtc',
        path: 'n.ipynb',
        updates: 3,
        coauthors: ['owner']
      }),
      trans
    );
    expect(said.what).toBe('saved (edited live)');
    expect(said.detail).toBe('3 changes, with owner');
  });

  it('tells refusals, departures and the owner apart', () => {
    const refused = describeRecord(
      record({
        action: 'refused',
        what: 'POST /api/kernels',
        reason: 'This is a view-only link.'
      }),
      trans
    );
    expect(refused.detail).toBe('POST /api/kernels: This is a view-only link.');
    expect(refused.paths).toEqual([]);
    const left = describeRecord(
      record({ action: 'guest.left', why: 'revoked' }),
      trans
    );
    expect(left.detail).toBe('the link was revoked');
    const removed = describeRecord(
      record({ action: 'guest.left', why: 'removed' }),
      trans
    );
    expect(removed.detail).toBe('what the link shared was deleted');
    const owner = describeRecord(
      record({ action: 'link.create', level: 'owner', label: 'Team' }),
      trans
    );
    expect(owner.who).toBe('You (owner)');
    expect(describeRecord(record({ level: undefined }), trans).who).toBe(
      'The server'
    );
  });

  it('says what ending a link ended', () => {
    expect(
      endedText(
        { sockets: 3, kernels_shut_down: ['k'], terminals: ['1', '2'] },
        trans
      )
    ).toBe('closed 3 connections, ended 2 terminals, shut down 1 kernel');
    expect(endedText(undefined, trans)).toBe('');
  });
});

describe('activityQuery', () => {
  it('asks only what is given', () => {
    expect(activityQuery({})).toBe('');
    expect(
      activityQuery({ link: 'aaaaaaaaaaaa', before: 12, limit: 100 })
    ).toBe('?link=aaaaaaaaaaaa&before=12&limit=100');
    expect(activityQuery({ link: undefined, format: 'csv' })).toBe(
      '?format=csv'
    );
  });
});

describe('ActivityModel', () => {
  function client(pages: IActivityPage[]): ShareClient {
    const fake = { activity: jest.fn(async () => pages.shift()!) };
    return fake as unknown as ShareClient;
  }

  it('pages back, and shows the records the server just made first', async () => {
    const model = new ActivityModel({
      client: client([
        {
          records: [record({ seq: 5 }), record({ seq: 4 })],
          next: 4,
          recording: true,
          problem: null
        },
        {
          records: [record({ seq: 3 })],
          next: null,
          recording: true,
          problem: null
        }
      ]),
      link: 'aaaaaaaaaaaa'
    });
    await model.refresh();
    expect(model.hasOlder).toBe(true);
    await model.loadOlder();
    expect(model.records.map(r => r.seq)).toEqual([5, 4, 3]);
    expect(model.hasOlder).toBe(false);
    model.add(record({ seq: 6 }));
    model.add(record({ seq: 7, link: 'bbbbbbbbbbbb' })); // another link's
    model.add(record({ seq: 6 })); // known already
    expect(model.records.map(r => r.seq)).toEqual([6, 5, 4, 3]);
    model.dispose();
  });
});
